package traincmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/practica-ml/practica/internal/cliutil"
)

// writeSpace writes a search space file into a temporary directory.
func writeSpace(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lr.yaml")
	if err := os.WriteFile(p, []byte("method: grid\nmetric: val_loss\nparams:\n  optimizer.lr: {choice: [0.001, 0.01]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmitKubernetes(t *testing.T) {
	space := writeSpace(t)
	var stdout, stderr bytes.Buffer
	args := []string{"train", "--search", space, "--emit", "kubernetes", "--shards", "4", "--image", "practica:v1", "--pvc", "runs",
		"--memory", "2Gi", "--epochs", "3", "--lr", "0.01"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	docs := strings.Split(stdout.String(), "\n---\n")
	var job batchv1.Job
	if len(docs) != 2 {
		t.Fatalf("%d YAML documents, want 2:\n%s", len(docs), stdout.String())
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatal(err)
	}
	if *job.Spec.Completions != 4 || *job.Spec.Parallelism != 4 || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completions %d, parallelism %d, mode %s", *job.Spec.Completions, *job.Spec.Parallelism, *job.Spec.CompletionMode)
	}
	got := job.Spec.Template.Spec.Containers[0].Args
	want := []string{"train", "--search", "/etc/practica/space.yaml", "--shards", "4", "--out", "/data", "--name", "lr",
		"--epochs=3", "--lr=0.01", "--max-memory=1536MiB"}
	if !slices.Equal(got, want) {
		t.Errorf("the pods run\n%q, want\n%q", got, want)
	}
}

func TestEmitSlurm(t *testing.T) {
	space := writeSpace(t)
	out := filepath.Join(t.TempDir(), "my runs")
	var stdout, stderr bytes.Buffer
	args := []string{"train", "--search", space, "--emit", "slurm", "--shards", "3", "--cpu", "4", "--out", out, "--name", "first try", "--max-memory", "1GiB"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	script := stdout.String()
	for _, w := range []string{"#SBATCH --array=0-2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=4096M\n",
		"exec practica train --search " + space + " --shards 3 --out '" + out + "' --name 'first try' --max-memory=1GiB\n"} {
		if !strings.Contains(script, w) {
			t.Errorf("the script lacks %q:\n%s", w, script)
		}
	}
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v %s", err, b)
	}
}

func TestEmitUsageErrors(t *testing.T) {
	space := writeSpace(t)
	k8s := []string{"--search", space, "--emit", "kubernetes", "--shards", "2", "--image", "i", "--pvc", "p"}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no search", []string{"--emit", "slurm", "--shards", "2"}, cliutil.ExitUsage, "--emit needs --search"},
		{"unknown kind", []string{"--search", space, "--emit", "nomad", "--shards", "2"}, cliutil.ExitUsage, `--emit "nomad": want kubernetes or slurm`},
		{"no image", []string{"--search", space, "--emit", "kubernetes", "--shards", "2", "--pvc", "p"}, cliutil.ExitUsage, "--emit kubernetes needs --image"},
		{"no claim", []string{"--search", space, "--emit", "kubernetes", "--shards", "2", "--image", "i"}, cliutil.ExitUsage, "--emit kubernetes needs --pvc"},
		{"no shards", []string{"--search", space, "--emit", "slurm"}, cliutil.ExitUsage, "--shards must be ≥ 1 with --emit, got 0"},
		{"negative shards", []string{"--search", space, "--emit", "slurm", "--shards", "-1"}, cliutil.ExitUsage, "--shards must be ≥ 1 with --emit, got -1"},
		{"bad cpu", append(slices.Clone(k8s), "--cpu", "two"), cliutil.ExitUsage, `--cpu "two": want a positive Kubernetes quantity`},
		{"bad memory", append(slices.Clone(k8s), "--memory", "4GB!"), cliutil.ExitUsage, `--memory "4GB!": want a positive Kubernetes quantity`},
		{"zero memory", append(slices.Clone(k8s), "--memory", "0"), cliutil.ExitUsage, `--memory "0"`},
		{"relative out", append(slices.Clone(k8s), "--out", "runs"), cliutil.ExitUsage, `--out "runs": with --emit kubernetes, an absolute path`},
		{"image for slurm", []string{"--search", space, "--emit", "slurm", "--shards", "2", "--image", "i"}, cliutil.ExitUsage, "--image needs --emit kubernetes"},
		{"image without emit", []string{"--image", "i"}, cliutil.ExitUsage, "--image needs --emit"},
		{"resume", append(slices.Clone(k8s), "--resume", "runs/x"), cliutil.ExitUsage, "--resume cannot be combined with --emit"},
		{"missing space file", []string{"--search", space + ".gone", "--emit", "slurm", "--shards", "2"}, cliutil.ExitError, "--search: open " + space + ".gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"train"}, c.args...), &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), c.code, c.msg)
			}
			if stdout.Len() > 0 {
				t.Errorf("printed on stdout: %q", stdout.String())
			}
		})
	}
}
