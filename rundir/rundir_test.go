package rundir

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/atomicfile"
)

func TestCreateIsUniqueWithinASecond(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		d, err := Create(root, "mlp digits", now)
		if err != nil {
			t.Fatal(err)
		}
		if seen[d.Path] {
			t.Fatalf("run directory %s handed out twice", d.Path)
		}
		seen[d.Path] = true
		if !filepath.IsAbs(d.Path) {
			t.Errorf("path %s is not absolute", d.Path)
		}
		if entries, err := os.ReadDir(d.Path); err != nil || len(entries) != 0 {
			t.Errorf("a new run directory holds %v (%v), want nothing", entries, err)
		}
	}
	want := filepath.Join(root, "20261125-120000-mlp-digits-2")
	if !seen[want] {
		t.Errorf("no %s among %v", want, seen)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d, err := Create(t.TempDir(), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := Summary{RunDir: d.Path, BestEpoch: new(3), ValLoss: new(0.25), ValAccuracy: new(0.9), EpochsRun: 5, StopReason: "max-epochs", StillImproving: true, Warnings: []string{"w"}}
	if err := d.WriteJSON(SummaryFile, s); err != nil {
		t.Fatal(err)
	}
	var got Summary
	if err := d.ReadJSON(SummaryFile, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("got %+v, want %+v", got, s)
	}
}

// TestDiscardRemovesWhatCreateMade: a run that cannot start takes its
// directory and the parents Create made for it away, and nothing else.
func TestDiscardRemovesWhatCreateMade(t *testing.T) {
	tmp := t.TempDir()
	keep, err := Create(filepath.Join(tmp, "a"), "kept", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Create(filepath.Join(tmp, "a", "b", "c"), "x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Discard(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(tmp, "a"))
	if len(entries) != 1 || filepath.Join(tmp, "a", entries[0].Name()) != keep.Path {
		t.Fatalf("left in %s: %v", filepath.Join(tmp, "a"), entries)
	}
}

// TestFillNamesTheDirectoryOnlyOnceFilled: the identifying files are
// written under a hidden temporary name, so that a process killed
// meanwhile leaves no directory a command would take for a run; the run
// directory appears with them, and a failed write leaves nothing behind.
func TestFillNamesTheDirectoryOnlyOnceFilled(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	root := filepath.Join(t.TempDir(), "runs")
	var during []string
	d, err := Fill(root, "mlp", now, func(d *Dir) error {
		entries, err := os.ReadDir(root)
		if err != nil {
			return err
		}
		for _, e := range entries {
			during = append(during, e.Name())
		}
		if err := d.WriteFile(ConfigFile, []byte("seed: 1\n")); err != nil {
			return err
		}
		if _, err := Open(d.Path); err == nil || !strings.Contains(err.Error(), "killed before it got its name") {
			t.Errorf("opening the directory under its temporary name: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || !atomicfile.IsTemp(during[0]) || !strings.HasPrefix(during[0], ".20261125-120000-mlp.tmp") {
		t.Errorf("while being filled, the runs directory held %v, want one hidden temporary directory", during)
	}
	if want := filepath.Join(root, "20261125-120000-mlp"); d.Path != want {
		t.Errorf("path %s, want %s", d.Path, want)
	}
	if b, err := os.ReadFile(d.Join(ConfigFile)); err != nil || string(b) != "seed: 1\n" {
		t.Errorf("config.yaml %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("the runs directory holds %v, want the run directory alone", entries)
	}

	failed := filepath.Join(t.TempDir(), "new", "runs")
	if _, err := Fill(failed, "x", now, func(*Dir) error { return errors.New("disk full") }); err == nil || err.Error() != "disk full" {
		t.Fatalf("a failed write: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(failed)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed start left %s behind (%v)", filepath.Dir(failed), err)
	}
}

// TestMetaGitCommits: meta.json's git_commit is Practica's (the binary's
// build information, none in a test binary), never that of the checkout
// the run was started in, which is working_dir_git_commit, with +dirty
// when a tracked file has changes.
func TestMetaGitCommits(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(repo, "notes.txt"), []byte("one\n"), 0o644)
	git("add", "notes.txt")
	git("commit", "-q", "-m", "user's project")
	head := git("rev-parse", "HEAD")
	t.Chdir(repo)

	meta := func() map[string]any {
		b, err := json.Marshal(NewMeta(1, []string{"train"}, time.Now(), "k"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := meta()
	if got, _ := m["git_commit"].(string); got != BuildRevision() || strings.HasPrefix(got, head) {
		t.Errorf("git_commit %q, want Practica's build revision %q, not the working directory's %s", got, BuildRevision(), head)
	}
	if got := m["working_dir_git_commit"]; got != head {
		t.Errorf("working_dir_git_commit %v, want %s", got, head)
	}
	os.WriteFile(filepath.Join(repo, "notes.txt"), []byte("two\n"), 0o644)
	if got := meta()["working_dir_git_commit"]; got != head+"+dirty" {
		t.Errorf("with a tracked file changed: working_dir_git_commit %v, want %s+dirty", got, head)
	}
	t.Chdir(t.TempDir())
	if got, ok := meta()["working_dir_git_commit"]; ok {
		t.Errorf("outside a checkout: working_dir_git_commit %v, want none", got)
	}
}

func TestRevision(t *testing.T) {
	cases := []struct {
		name      string
		settings  []debug.BuildSetting
		rev, when string
	}{
		{"no VCS", nil, "", ""},
		{"clean", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-29T04:00:00Z"}, {Key: "vcs.modified", Value: "false"}}, "0123abcd", "2026-11-29T04:00:00Z"},
		{"dirty", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "0123abcd"}}, "0123abcd+dirty", ""},
		{"modified without a revision", []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, "", ""},
	}
	for _, c := range cases {
		rev, when := Revision(&debug.BuildInfo{Settings: c.settings})
		if rev != c.rev || when != c.when {
			t.Errorf("%s: Revision = %q, %q; want %q, %q", c.name, rev, when, c.rev, c.when)
		}
	}
}
