package traincmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	const total = 24 << 30
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"16GiB", 16 << 30, false},
		{"16 gib", 16 << 30, false},
		{"500MB", 500e6, false},
		{"1.5GB", 1.5e9, false},
		{"512KiB", 512 << 10, false},
		{"2TiB", 2 << 40, false},
		{"1048576", 1 << 20, false},
		{"100B", 100, false},
		{"50%", 12 << 30, false},
		{"75%", 18 << 30, false},
		{"off", 0, false},
		{"OFF", 0, false},
		{"0", 0, true},
		{"-1GiB", 0, true},
		{"12q", 0, true},
		{"GiB", 0, true},
		{"", 0, true},
		{"NaN", 0, true},
		{"1e30TiB", 0, true},
	}
	for _, c := range cases {
		got, err := parseMemory(c.in, total)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d (bad %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestMemTotal(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "MemTotal:       24683620 kB\nMemFree:        22365964 kB\n")
	if n, err := memTotal(good); err != nil || n != 24683620*1024 {
		t.Errorf("memTotal = %d, %v; want %d", n, err, 24683620*1024)
	}
	for _, p := range []string{write("none", "MemFree: 1 kB\n"), write("pages", "MemTotal: 12 pages\n"), filepath.Join(dir, "missing")} {
		if n, err := memTotal(p); err == nil {
			t.Errorf("%s: memTotal = %d, want an error", p, n)
		}
	}
}

// TestMaxMemoryRefusesBeforeBuilding: sizes that pass the config's checks
// but not the memory limit end with a one-line error naming the key and
// the limit, before any run directory; sizes past the config's caps never
// get that far.
func TestMaxMemoryRefusesBeforeBuilding(t *testing.T) {
	tmp := t.TempDir()
	hugeCfg := filepath.Join(tmp, "huge.yaml")
	os.WriteFile(hugeCfg, []byte("model: {hidden: [100000000]}\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"hidden at the cap", []string{"--model", "mlp", "--hidden", "65536,65536", "--max-memory", "18GiB"},
			"model.hidden [65536 65536] needs about 161 GiB for training"},
		{"its limit", []string{"--model", "mlp", "--hidden", "65536,65536", "--max-memory", "18GiB"},
			"the limit is 18.0 GiB (--max-memory) (--hidden)"},
		{"channels", []string{"--channels", "4096,4096", "--max-memory", "2GiB"},
			"model.channels [4096 4096] needs about 7.0 GiB for training"},
		{"the lr sweep", []string{"--lr-sweep", "--model", "mlp", "--hidden", "65536,65536", "--max-memory", "18GiB"},
			"model.hidden [65536 65536] needs about 161 GiB"},
		{"past the config's cap", []string{"--config", hugeCfg}, "model.hidden sizes must be in [1, 65536], got [100000000]"},
		{"a bad size", []string{"--max-memory", "lots"}, `--max-memory "lots": want a size such as 16GiB`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(tmp, strings.ReplaceAll(c.name, " ", "-"))
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"train", "--out", out, "-q"}, c.args...), &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line with %q", code, stderr.String(), c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("a run directory root %s was made", out)
			}
		})
	}
	// By default the limit is a share of MemTotal, and says so.
	if _, err := memTotal(memInfo); err == nil {
		var stdout, stderr bytes.Buffer
		run([]string{"train", "--out", filepath.Join(tmp, "default"), "-q", "--model", "mlp", "--hidden", "65536,65536"}, &stdout, &stderr)
		if want := "% of MemTotal"; !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
}
