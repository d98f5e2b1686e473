package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// buildPractica builds the static practica binary once for the tests
// that need a real one.
func buildPractica(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "practica")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../../cmd/practica")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestImage builds the real binary once and writes its layout: the layout
// is reproducible and carries the config a runtime needs, and umoci
// unpacks it into a root file system whose binary runs.
func TestImage(t *testing.T) {
	bin := buildPractica(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "oci")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-binary", bin, "-out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	t.Log(strings.TrimSpace(stdout.String()))
	t.Run("reproducible, with its config", func(t *testing.T) {
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		again := filepath.Join(tmp, "again")
		if _, err := WriteLayout(again, "v1", b); err != nil {
			t.Fatal(err)
		}
		var digests []string
		for _, c := range []struct{ dir, tag string }{{dir, "latest"}, {again, "v1"}} {
			idx, err := layout.ImageIndexFromPath(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Manifests) != 1 || m.Manifests[0].Annotations[refNameAnnotation] != c.tag || m.Manifests[0].Platform.Architecture != "amd64" && m.Manifests[0].Platform.Architecture != "arm64" {
				t.Fatalf("index %+v, want one image tagged %s with its platform", m.Manifests, c.tag)
			}
			img, err := idx.Image(m.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cc := cfg.Config; cc.User != "65532:65532" || !slices.Equal(cc.Entrypoint, []string{"/practica"}) || cc.WorkingDir != home || cfg.OS != "linux" {
				t.Errorf("config %+v on %s", cc, cfg.OS)
			}
			digests = append(digests, m.Manifests[0].Digest.String())
		}
		if digests[0] != digests[1] {
			t.Errorf("two layouts of one binary differ: %s, %s", digests[0], digests[1])
		}
	})
	t.Run("umoci unpacks it and the binary runs", func(t *testing.T) {
		umoci, err := exec.LookPath("umoci")
		if err != nil {
			t.Skip("umoci is not installed (apt-get install umoci; .ci/run does): the layout is not checked by an OCI tool")
		}
		bundle := filepath.Join(tmp, "bundle")
		if out, err := exec.Command(umoci, "unpack", "--rootless", "--image", dir+":latest", bundle).CombinedOutput(); err != nil {
			t.Fatalf("umoci unpack: %v\n%s", err, out)
		}
		rootfs := filepath.Join(bundle, "rootfs")
		st, err := os.Stat(filepath.Join(rootfs, "practica"))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("rootfs/practica: %v, %v; want mode 0755", err, st)
		}
		if st, err := os.Stat(filepath.Join(rootfs, "tmp")); err != nil || st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
			t.Errorf("rootfs/tmp: %v, %v; want a sticky directory writable by all", err, st)
		}
		// The runtime spec umoci derives from the image's config.
		var spec struct {
			Process struct {
				Args []string `json:"args"`
				Cwd  string   `json:"cwd"`
				User struct {
					UID int `json:"uid"`
					GID int `json:"gid"`
				} `json:"user"`
			} `json:"process"`
		}
		b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &spec); err != nil {
			t.Fatal(err)
		}
		p := spec.Process
		if !slices.Equal(p.Args, []string{"/practica"}) || p.Cwd != home || p.User.UID != nonRoot || p.User.GID != nonRoot {
			t.Errorf("the bundle runs %q in %s as %d:%d; want [/practica] in %s as %d:%d", p.Args, p.Cwd, p.User.UID, p.User.GID, home, nonRoot, nonRoot)
		}
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"--version"}, "practica version "},
			{[]string{"train", "--help"}, "practica train - train a model"},
			{[]string{"eval", "--help"}, "practica eval"},
			{[]string{"predict", "--help"}, "practica predict"},
		}
		for _, c := range cases {
			out, err := exec.Command(filepath.Join(rootfs, "practica"), c.args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), c.want) {
				t.Errorf("rootfs/practica %v: %v, output %q; want %q", c.args, err, out, c.want)
			}
		}
	})
}

func TestRejects(t *testing.T) {
	tmp := t.TempDir()
	script := filepath.Join(tmp, "script.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dynamic := "/bin/sh" // dynamically linked on every Linux the tests run on
	existing := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no binary", []string{"-out", filepath.Join(tmp, "o1")}, 2, "-binary is required"},
		{"no out", []string{"-binary", script}, 2, "-out is required"},
		{"stray argument", []string{"-binary", script, "-out", filepath.Join(tmp, "o2"), "x"}, 2, "takes only flags"},
		{"missing binary", []string{"-binary", filepath.Join(tmp, "gone"), "-out", filepath.Join(tmp, "o3")}, 1, "-binary: open"},
		{"not ELF", []string{"-binary", script, "-out", filepath.Join(tmp, "o4")}, 1, "not a Linux (ELF) binary"},
		{"dynamic", []string{"-binary", dynamic, "-out", filepath.Join(tmp, "o5")}, 1, "build it with CGO_ENABLED=0"},
		{"out exists", []string{"-binary", script, "-out", existing}, 1, "exists: remove it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.msg) || stdout.Len() > 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want %d and %q", code, stderr.String(), stdout.String(), c.code, c.msg)
			}
		})
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("a refused layout left files behind: %v", entries)
	}
}
