package deploy

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/practica-ml/practica/internal/golden"
)

const spaceYAML = "method: random\ntrials: 24\nparams:\n  optimizer.lr: {log_uniform: [1.0e-4, 1.0e-2]}\n"

func exampleSearch(shards int) Search {
	return Search{
		Space:     File{Path: "/home/ada/lr.yaml", Content: []byte(spaceYAML)},
		Name:      "lr",
		Shards:    shards,
		OutRoot:   "/data",
		TrainArgs: []string{"--data=fashion-mnist", "--epochs=5"},
	}
}

func exampleKubernetes() Kubernetes {
	return Kubernetes{Image: "registry.example/practica:v1", PVC: "practica-runs", BackoffLimit: 3,
		Resources: Resources{CPU: resource.MustParse("2"), Memory: resource.MustParse("4Gi")}}
}

// splitDocuments parses the ConfigMap and the Job back, strictly: a field
// the API does not know fails.
func splitDocuments(t *testing.T, out []byte) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	docs := strings.Split(string(out), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d YAML documents, want the ConfigMap and the Job:\n%s", len(docs), out)
	}
	var cm corev1.ConfigMap
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatalf("the first document is no ConfigMap: %v", err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatalf("the second document is no Job: %v", err)
	}
	return &cm, &job
}

func TestKubernetesJob(t *testing.T) {
	cases := []struct {
		name   string
		shards int
		config bool
		golden string
	}{
		{"three shards", 3, false, "testdata/job.yaml"},
		{"one shard with a config file", 1, true, "testdata/job-config.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := exampleSearch(c.shards)
			if c.config {
				s.Config = &File{Path: "exp.yaml", Content: []byte("training:\n  epochs: 7\n")}
			}
			var out bytes.Buffer
			if err := WriteKubernetes(&out, s, exampleKubernetes()); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, c.golden, out.Bytes())
			cm, job := splitDocuments(t, out.Bytes())

			if job.Kind != "Job" || job.APIVersion != "batch/v1" || cm.Kind != "ConfigMap" {
				t.Errorf("kinds %s %s, %s", job.APIVersion, job.Kind, cm.Kind)
			}
			spec := job.Spec
			if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
				t.Errorf("completionMode %v, want Indexed", spec.CompletionMode)
			}
			if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != int32(c.shards) || *spec.Parallelism != int32(c.shards) {
				t.Errorf("completions %v, parallelism %v, want %d each", spec.Completions, spec.Parallelism, c.shards)
			}
			if spec.BackoffLimitPerIndex == nil || *spec.BackoffLimitPerIndex != 3 || spec.BackoffLimit == nil || *spec.BackoffLimit != int32(3*c.shards) {
				t.Errorf("backoffLimitPerIndex %v, backoffLimit %v, want 3 and %d", spec.BackoffLimitPerIndex, spec.BackoffLimit, 3*c.shards)
			}
			pod := spec.Template.Spec
			if pod.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("restartPolicy %s, want Never", pod.RestartPolicy)
			}
			if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != NonRootUser {
				t.Errorf("pod securityContext %+v, want runAsNonRoot and user %d", sc, NonRootUser)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			ctr := pod.Containers[0]
			volumes := map[string]corev1.Volume{}
			for _, v := range pod.Volumes {
				volumes[v.Name] = v
			}
			mounted := map[string]corev1.Volume{}
			for _, m := range ctr.VolumeMounts {
				v, ok := volumes[m.Name]
				if !ok {
					t.Errorf("mount %s names no volume", m.Name)
				}
				mounted[m.MountPath] = v
				if m.MountPath == SpaceDir && !m.ReadOnly {
					t.Errorf("%s is mounted writable", SpaceDir)
				}
			}
			if v := mounted["/data"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "practica-runs" {
				t.Errorf("the output root /data is not the claim practica-runs: %+v", v)
			}
			if v := mounted[SpaceDir]; v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
				t.Errorf("%s is not the ConfigMap %s: %+v", SpaceDir, cm.Name, v)
			}
			if cm.Data["space.yaml"] != spaceYAML {
				t.Errorf("the ConfigMap's space.yaml is %q", cm.Data["space.yaml"])
			}
			if got, want := cm.Data["config.yaml"] != "", c.config; got != want {
				t.Errorf("the ConfigMap holds config.yaml: %v, want %v", got, want)
			}
			args := strings.Join(ctr.Args, " ")
			want := "train --search /etc/practica/space.yaml --shards " + strconv.Itoa(c.shards) + " --out /data --name lr"
			if !strings.HasPrefix(args, want) || !slices.Contains(ctr.Args, "--epochs=5") {
				t.Errorf("args %q, want them to start %q and pass --epochs=5 through", args, want)
			}
			if c.config != strings.Contains(args, "--config /etc/practica/config.yaml") {
				t.Errorf("args %q: --config %v", args, c.config)
			}
			if q := ctr.Resources.Requests[corev1.ResourceMemory]; q.String() != "4Gi" {
				t.Errorf("memory request %s, want 4Gi", q.String())
			}
			if q := ctr.Resources.Limits[corev1.ResourceMemory]; q.String() != "4Gi" {
				t.Errorf("memory limit %s, want 4Gi", q.String())
			}
			if q := ctr.Resources.Requests[corev1.ResourceCPU]; q.String() != "2" {
				t.Errorf("cpu request %s, want 2", q.String())
			}
		})
	}
}

func TestKubernetesRejects(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Search, *Kubernetes)
		want string
	}{
		{"no shards", func(s *Search, _ *Kubernetes) { s.Shards = 0 }, "shards must be ≥ 1, got 0"},
		{"no image", func(_ *Search, k *Kubernetes) { k.Image = "" }, "no image"},
		{"no claim", func(_ *Search, k *Kubernetes) { k.PVC = "" }, "no persistent volume claim"},
		{"a claim Kubernetes cannot name", func(_ *Search, k *Kubernetes) { k.PVC = "My Claim" }, `persistent volume claim "My Claim"`},
		{"a relative output root", func(s *Search, _ *Kubernetes) { s.OutRoot = "runs" }, `the output root "runs" must be an absolute path`},
		{"no memory", func(_ *Search, k *Kubernetes) { k.Memory = resource.MustParse("0") }, "memory must be more than 0"},
		{"negative backoff", func(_ *Search, k *Kubernetes) { k.BackoffLimit = -1 }, "backoff limit must be ≥ 0"},
		{"a space too large for a ConfigMap", func(s *Search, _ *Kubernetes) { s.Space.Content = make([]byte, 1<<20+1) }, "more than a ConfigMap takes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, k := exampleSearch(2), exampleKubernetes()
			c.edit(&s, &k)
			var out bytes.Buffer
			err := WriteKubernetes(&out, s, k)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
			if out.Len() > 0 {
				t.Errorf("wrote %d bytes despite the error", out.Len())
			}
		})
	}
}

func TestJobName(t *testing.T) {
	cases := []struct{ search, want string }{
		{"lr", "practica-search-lr"},
		{"Fashion_CNN v2", "practica-search-fashion-cnn-v2"},
		{"a-very-long-search-name-that-goes-on-and-on-and-on", "practica-search-a-very-long-search-name-that-goe"},
		{"x_________________________________________________", "practica-search-x"},
	}
	for _, c := range cases {
		if got := JobName(c.search); got != c.want {
			t.Errorf("JobName(%q) = %q, want %q", c.search, got, c.want)
		}
	}
}
