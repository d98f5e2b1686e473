package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/rundir"
)

// TestPrepareRecordsTheDataItTrainsOn: a source and a labels file given
// relative to the working directory come out of Prepare absolute (the
// config a run records), as given in Data, with the fingerprint of what
// was read; a name stays a name.
func TestPrepareRecordsTheDataItTrainsOn(t *testing.T) {
	csv, err := os.ReadFile(filepath.Join("..", "data", "testdata", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	wd := t.TempDir()
	if err := os.WriteFile(filepath.Join(wd, "iris.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"labels.txt", "digits"} {
		if err := os.WriteFile(filepath.Join(wd, name), []byte(strings.Repeat("a\nb\n", 75)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(wd)
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	cases := []struct {
		name, source, labels string
		wantSource           string
		wantLabels           string
		wantHash, labelsHash string
	}{
		{"a CSV", "iris.csv", "", filepath.Join(wd, "iris.csv"), "", sum(csv), ""},
		{"a CSV and a labels file", "./iris.csv", "labels.txt", filepath.Join(wd, "iris.csv"), filepath.Join(wd, "labels.txt"), sum(csv), sum([]byte(strings.Repeat("a\nb\n", 75)))},
		{"a labels file named like a source", "iris.csv", "digits", filepath.Join(wd, "iris.csv"), filepath.Join(wd, "digits"), sum(csv), sum([]byte(strings.Repeat("a\nb\n", 75)))},
		{"a generator", "noise:n=60,d=4,c=2", "", "noise:n=60,d=4,c=2", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Data.Source, cfg.Data.Labels, cfg.Model.Arch = c.source, c.labels, "linear"
			p, err := Prepare(cfg, Env{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Config.Data.Source != c.wantSource || p.Config.Data.Labels != c.wantLabels {
				t.Errorf("config data.source %q data.labels %q, want %q and %q", p.Config.Data.Source, p.Config.Data.Labels, c.wantSource, c.wantLabels)
			}
			if p.Data.Source != c.source || p.Data.Labels != c.labels {
				t.Errorf("as given: %q and %q, want %q and %q", p.Data.Source, p.Data.Labels, c.source, c.labels)
			}
			f := p.Data.Fingerprint
			if f == nil || len(f.Source) != 64 || f.Labels != c.labelsHash || f.Split != p.Splits.IndexSHA256() {
				t.Fatalf("fingerprint %+v, want one with labels %q and the split's %s", f, c.labelsHash, p.Splits.IndexSHA256())
			}
			if c.wantHash != "" && f.Source != c.wantHash {
				t.Errorf("source_sha256 %s, want the file's sha256sum %s", f.Source, c.wantHash)
			}
		})
	}
}

func TestCheckData(t *testing.T) {
	a := rundir.DataFingerprint{Source: strings.Repeat("a", 64), Split: strings.Repeat("1", 64)}
	withSource, withLabels, withSplit := a, a, a
	withSource.Source = strings.Repeat("b", 64)
	withSource.Split = strings.Repeat("2", 64)
	withLabels.Labels = strings.Repeat("c", 64)
	withSplit.Split = strings.Repeat("2", 64)
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.Labels = "/data/wine.csv", "/data/labels.txt"
	const run = "/runs/r1"
	cases := []struct {
		name     string
		recorded *rundir.DataFingerprint
		now      rundir.DataFingerprint
		allow    bool
		warning  string
		err      string
	}{
		{"the same data", &a, a, false, "", ""},
		{"the same data, allowed", &a, a, true, "", ""},
		{"no fingerprint recorded", nil, a, false,
			"/runs/r1 records no data fingerprint in meta.json (it was written before Practica recorded one): whether /data/wine.csv still holds the data it was trained on cannot be checked", ""},
		{"the source's bytes", &a, withSource, false, "",
			"allow_data_change is needed to go on: the bytes of /data/wine.csv are not those /runs/r1 was trained on (sha256 aaaaaaaaaaaa in its meta.json, now bbbbbbbbbbbb), so its splits would hold other examples"},
		{"the labels file", &a, withLabels, false, "",
			"allow_data_change is needed to go on: the labels file /data/labels.txt is not the one /runs/r1 was trained on (sha256 (none) in its meta.json, now cccccccccccc)"},
		{"only the split", &a, withSplit, false, "",
			"allow_data_change is needed to go on: /data/wine.csv has the bytes /runs/r1 was trained on (sha256 aaaaaaaaaaaa), but they split otherwise (split sha256 111111111111 in its meta.json, now 222222222222): this version of Practica reads or splits them differently"},
		{"the source's bytes, allowed", &a, withSource, true,
			"the data differ from the run's, and are used as asked: the bytes of /data/wine.csv are not those /runs/r1 was trained on (sha256 aaaaaaaaaaaa in its meta.json, now bbbbbbbbbbbb), so its splits would hold other examples", ""},
	}
	for _, c := range cases {
		warning, err := CheckData(run, cfg, c.recorded, c.now, c.allow)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
			if se, ok := err.(*setting.Error); !ok || se.Key != "allow_data_change" {
				t.Errorf("%s: %T %v, want a setting error of allow_data_change", c.name, err, err)
			}
		}
		if warning != c.warning || gotErr != c.err {
			t.Errorf("%s:\n got warning %q\n  error %q\nwant warning %q\n  error %q", c.name, warning, gotErr, c.warning, c.err)
		}
	}
}
