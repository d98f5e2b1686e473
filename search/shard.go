package search

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables of the schedulers that start shards.
const (
	// EnvJobIndex is a Kubernetes Indexed Job's completion index.
	EnvJobIndex = "JOB_COMPLETION_INDEX"
	// EnvSlurmTask and EnvSlurmCount are a Slurm job array's task id and
	// number of tasks.
	EnvSlurmTask  = "SLURM_ARRAY_TASK_ID"
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
)

// Shard is the part K of N of a search: the trials i ≡ K (mod N).
type Shard struct {
	K, N int
	// From says where the shard came from (a flag or an environment
	// variable), for messages.
	From string
}

// All is the whole search in one process.
var All = Shard{K: 0, N: 1, From: "no shard given"}

// Owns reports whether trial i is this shard's.
func (s Shard) Owns(i int) bool { return i%s.N == s.K }

// ParseShard reads --shard K/N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard must be K/N (this process runs the trials i with i mod N = K), got %q", s)
	}
	return newShard(k, n, "--shard")
}

// ResolveShard is the shard of this process: --shard K/N when given
// (flag), else JOB_COMPLETION_INDEX with --shards N (shards), else
// SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, else All. getenv reads
// the environment (os.Getenv).
func ResolveShard(flag string, shards int, getenv func(string) string) (Shard, error) {
	if flag != "" {
		return ParseShard(flag)
	}
	if idx := getenv(EnvJobIndex); idx != "" {
		if shards < 1 {
			return Shard{}, fmt.Errorf("%s=%s is set (a Kubernetes Indexed Job) but --shards N is not: give the Job's completions as --shards", EnvJobIndex, idx)
		}
		return newShard(idx, strconv.Itoa(shards), EnvJobIndex+" and --shards")
	}
	if task := getenv(EnvSlurmTask); task != "" {
		count := getenv(EnvSlurmCount)
		if count == "" {
			if shards < 1 {
				return Shard{}, fmt.Errorf("%s=%s is set but %s is not: give --shards N", EnvSlurmTask, task, EnvSlurmCount)
			}
			count = strconv.Itoa(shards)
		}
		return newShard(task, count, EnvSlurmTask+" and "+EnvSlurmCount)
	}
	if shards > 1 {
		return Shard{}, fmt.Errorf("--shards %d needs --shard K/N or %s (set by a Kubernetes Indexed Job) to say which shard this is", shards, EnvJobIndex)
	}
	return All, nil
}

func newShard(k, n, from string) (Shard, error) {
	kv, err1 := strconv.Atoi(strings.TrimSpace(k))
	nv, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%s: want whole numbers K/N, got %q/%q", from, k, n)
	}
	if nv < 1 || kv < 0 || kv >= nv {
		return Shard{}, fmt.Errorf("%s: want 0 <= K < N, got K=%d N=%d", from, kv, nv)
	}
	return Shard{K: kv, N: nv, From: from}, nil
}
