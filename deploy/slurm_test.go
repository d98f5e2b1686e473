package deploy

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/practica-ml/practica/internal/golden"
)

func exampleResources(cpu, memory string) Resources {
	return Resources{CPU: resource.MustParse(cpu), Memory: resource.MustParse(memory)}
}

// bashParses runs bash -n on script: it must parse without running.
func bashParses(t *testing.T, script []byte) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH to check the script with")
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = bytes.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s\n%s", err, out, script)
	}
}

func TestSlurmScript(t *testing.T) {
	hostile := exampleSearch(4)
	hostile.Name = "it's $(rm -rf ~)\necho pwned"
	hostile.Space.Path = "/home/ada/my space's \"file\".yaml"
	hostile.TrainArgs = []string{"--data=/data/a b;c.csv", "--label-column=`id`"}
	cases := []struct {
		name      string
		search    Search
		resources Resources
		golden    string
		want      []string
	}{
		{"four shards", exampleSearch(4), exampleResources("2", "4Gi"), "testdata/slurm.sh",
			[]string{"#SBATCH --array=0-3\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --mem=4096M\n", "#SBATCH --job-name=practica-search-lr\n",
				"exec practica train --search /home/ada/lr.yaml --shards 4 --out /data --name lr --data=fashion-mnist --epochs=5\n"}},
		{"fractions round up", exampleSearch(1), exampleResources("500m", "1.5G"), "",
			[]string{"#SBATCH --array=0-0\n", "#SBATCH --cpus-per-task=1\n", "#SBATCH --mem=1431M\n"}},
		{"values the shell must not read", hostile, exampleResources("1", "1Gi"), "testdata/slurm-quoted.sh",
			[]string{"#SBATCH --job-name=practica-search-it-s-rm--rf-echo-pwned\n",
				`--search '/home/ada/my space'\''s "file".yaml'`, `--name 'it'\''s $(rm -rf ~)
` + "echo pwned'", `'--data=/data/a b;c.csv' '--label-column=` + "`id`'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := WriteSlurm(&out, c.search, c.resources); err != nil {
				t.Fatal(err)
			}
			if c.golden != "" {
				golden.Check(t, c.golden, out.Bytes())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("the script lacks %q:\n%s", w, out.String())
				}
			}
			bashParses(t, out.Bytes())
		})
	}
}

func TestSlurmRejects(t *testing.T) {
	cases := []struct {
		name      string
		shards    int
		resources Resources
		want      string
	}{
		{"no shards", 0, exampleResources("1", "1Gi"), "shards must be ≥ 1, got 0"},
		{"no cpu", 2, exampleResources("0", "1Gi"), "cpu must be more than 0"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := WriteSlurm(&out, exampleSearch(c.shards), c.resources)
		if err == nil || !strings.Contains(err.Error(), c.want) || out.Len() > 0 {
			t.Errorf("%s: error %v and %d bytes written, want %q and none", c.name, err, out.Len(), c.want)
		}
	}
}

// TestShellQuote runs each quoted word through bash and checks that it
// comes back as the one word it was.
func TestShellQuote(t *testing.T) {
	words := []string{"plain", "--epochs=5", "", "a b", "it's", `"double"`, "$HOME", "`id`", "a;b|c&d", "tab\there", "new\nline", "ünï", "*?[x]", "~", "!x"}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH")
	}
	for _, w := range words {
		out, err := exec.Command(bash, "-c", "printf %s "+ShellQuote(w)).Output()
		if err != nil || string(out) != w {
			t.Errorf("ShellQuote(%q) = %s: bash reads %q (%v)", w, ShellQuote(w), out, err)
		}
	}
	if got := ShellQuote("--out=/data"); got != "--out=/data" {
		t.Errorf("a word the shell reads as it is was quoted: %s", got)
	}
}
