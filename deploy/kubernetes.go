package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	// SpaceDir is where the pods see the ConfigMap: the space file as
	// SpaceDir/space.yaml, the experiment file as SpaceDir/config.yaml.
	SpaceDir = "/etc/practica"
	// spaceKey and configKey are the ConfigMap's keys, and the files'
	// names under SpaceDir.
	spaceKey  = "space.yaml"
	configKey = "config.yaml"
	// NonRootUser is the user the pods run as: distroless's "nonroot",
	// which the image's USER is too.
	NonRootUser = 65532
	// maxConfigMapBytes is the API server's limit on a ConfigMap's data.
	maxConfigMapBytes = 1 << 20
	// jobNamePrefix starts the Job's and the ConfigMap's names.
	jobNamePrefix = "practica-search-"
	// maxJobName leaves room in 63 characters for the "-INDEX-XXXXX"
	// that Kubernetes appends to an Indexed Job's pod names and hostnames.
	maxJobName = 48
	// tmpVolume is an emptyDir at /tmp: the root file system is read-only.
	tmpVolume = "tmp"
)

// Kubernetes is where and how the Job runs.
type Kubernetes struct {
	Image string // the container image, whose entrypoint is practica
	PVC   string // the PersistentVolumeClaim mounted at the output root
	Resources
	// BackoffLimit is how often each shard's pod may fail before the
	// shard counts as failed.
	BackoffLimit int32
}

func (k Kubernetes) validate() error {
	if k.Image == "" {
		return errors.New("no image")
	}
	if k.PVC == "" {
		return errors.New("no persistent volume claim")
	}
	if errs := validation.IsDNS1123Subdomain(k.PVC); len(errs) > 0 {
		return fmt.Errorf("persistent volume claim %q: %s", k.PVC, strings.Join(errs, "; "))
	}
	if k.BackoffLimit < 0 {
		return fmt.Errorf("backoff limit must be ≥ 0, got %d", k.BackoffLimit)
	}
	return k.Resources.validate()
}

// KubernetesObjects builds the Job that runs s in k.Shards pods, one shard
// each, and the ConfigMap that carries the space (and experiment) file
// into them.
func KubernetesObjects(s Search, k Kubernetes) (*batchv1.Job, *corev1.ConfigMap, error) {
	if err := s.validate(); err != nil {
		return nil, nil, err
	}
	if err := k.validate(); err != nil {
		return nil, nil, err
	}
	if !path.IsAbs(s.OutRoot) {
		return nil, nil, fmt.Errorf("the output root %q must be an absolute path: the volume is mounted there", s.OutRoot)
	}
	name := JobName(s.Name)
	labels := map[string]string{"app.kubernetes.io/name": "practica", "app.kubernetes.io/component": "search", "practica/search": name}
	meta := metav1.ObjectMeta{Name: name, Labels: labels}

	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{spaceKey: string(s.Space.Content)},
	}
	if s.Config != nil {
		cm.Data[configKey] = string(s.Config.Content)
	}
	size := 0
	for _, v := range cm.Data {
		size += len(v)
	}
	if size > maxConfigMapBytes {
		return nil, nil, fmt.Errorf("the space and config files hold %d bytes, more than a ConfigMap takes (%d)", size, maxConfigMapBytes)
	}

	shards := int32(s.Shards)
	// Each shard's pod retries on its own: one shard that keeps failing
	// does not use up the others' retries.
	perIndex := k.BackoffLimit
	total := k.BackoffLimit * shards
	indexed := batchv1.IndexedCompletion
	yes, no := true, false
	user := int64(NonRootUser)
	cpuProcs := strconv.FormatInt(k.CPU.Value(), 10) // Value rounds 500m up to 1
	args := s.trainArgs(path.Join(SpaceDir, spaceKey), path.Join(SpaceDir, configKey))

	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			CompletionMode:       &indexed,
			Completions:          &shards,
			Parallelism:          &shards,
			BackoffLimit:         &total,
			BackoffLimitPerIndex: &perIndex,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &yes,
						RunAsUser:    &user,
						RunAsGroup:   &user,
						// The claim's files belong to this group, so that
						// the non-root user may write the trials.
						FSGroup:        &user,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "train",
						Image: k.Image,
						Args:  args,
						Env: []corev1.EnvVar{
							// Without a CPU limit the Go runtime would
							// start a thread per core of the node.
							{Name: "GOMAXPROCS", Value: cpuProcs},
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: k.CPU, corev1.ResourceMemory: k.Memory},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: k.Memory},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "out", MountPath: s.OutRoot},
							{Name: "space", MountPath: SpaceDir, ReadOnly: true},
							{Name: tmpVolume, MountPath: "/tmp"},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no,
							ReadOnlyRootFilesystem:   &yes,
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "out", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.PVC}}},
						{Name: "space", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}},
						{Name: tmpVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	return job, cm, nil
}

// WriteKubernetes writes the ConfigMap and the Job as two YAML documents,
// ready for kubectl apply -f -. Nothing is written when they cannot be
// built.
func WriteKubernetes(w io.Writer, s Search, k Kubernetes) error {
	job, cm, err := KubernetesObjects(s, k)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for i, obj := range []any{cm, job} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

var notInLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// JobName is the Job's (and the ConfigMap's) name for a search: a DNS
// label made of the search's name, lower-cased, with any other character
// a dash.
func JobName(search string) string {
	n := jobNamePrefix + notInLabel.ReplaceAllString(strings.ToLower(search), "-")
	if len(n) > maxJobName {
		n = n[:maxJobName]
	}
	return strings.TrimRight(n, "-")
}
