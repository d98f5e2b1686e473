// Package deploy writes what runs a hyper-parameter search on many
// machines at once: a Kubernetes Indexed Job (with a ConfigMap that
// carries the space file into the pods) and a Slurm job-array script.
//
// Both run the same train command in every shard; none of them tells a
// shard its index on the command line. The train command reads it from
// the scheduler's environment instead (JOB_COMPLETION_INDEX with
// --shards N on Kubernetes, SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT on Slurm), so that one description serves every
// shard and a restarted pod or task resumes its own trials.
//
// The Job is built from the Kubernetes API's own Go types and serialized
// with sigs.k8s.io/yaml, so that a field the API does not know cannot be
// written. The Slurm script shell-quotes every value that came from the
// user.
package deploy
