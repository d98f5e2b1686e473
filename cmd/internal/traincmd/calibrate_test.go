package traincmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainCalibrationFlags: --bootstrap reaches calibration.json and
// config.yaml; --no-calibrate leaves no calibration files; a negative
// --bootstrap is rejected before any run directory exists.
func TestTrainCalibrationFlags(t *testing.T) {
	base := []string{"train", "--data", "../../../data/testdata/breast_cancer.csv", "--epochs", "2", "--seed", "2", "--json", "-q"}
	cases := []struct {
		name      string
		args      []string
		wantFiles bool
		wantYAML  string
	}{
		{"calibrated", []string{"--bootstrap", "20"}, true, "bootstrap: 20"},
		{"no-calibrate", []string{"--no-calibrate"}, false, "calibrate: false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append(append([]string{}, base...), "--out", t.TempDir()), c.args...)
			if code := run(args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var sum struct {
				RunDir      string   `json:"run_dir"`
				Temperature float64  `json:"temperature"`
				ECEBefore   *float64 `json:"test_ece_before"`
				ECEAfter    *float64 `json:"test_ece_after"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatal(err)
			}
			cfg, _ := os.ReadFile(filepath.Join(sum.RunDir, "config.yaml"))
			if !strings.Contains(string(cfg), c.wantYAML) {
				t.Errorf("config.yaml lacks %q:\n%s", c.wantYAML, cfg)
			}
			b, err := os.ReadFile(filepath.Join(sum.RunDir, "calibration.json"))
			_, perr := os.Stat(filepath.Join(sum.RunDir, "reliability.png"))
			if !c.wantFiles {
				if err == nil || perr == nil || sum.ECEBefore != nil {
					t.Errorf("--no-calibrate wrote calibration files or ECE: %s", stdout.String())
				}
				return
			}
			if err != nil || perr != nil || sum.ECEBefore == nil || sum.ECEAfter == nil || sum.Temperature <= 0 {
				t.Fatalf("calibration files %v %v, summary %s", err, perr, stdout.String())
			}
			var res struct {
				Bootstrap int `json:"bootstrap_resamples"`
				Test      struct {
					Before struct {
						ECE  float64 `json:"ece"`
						Low  float64 `json:"ece_ci_low"`
						High float64 `json:"ece_ci_high"`
					} `json:"before"`
				} `json:"test"`
			}
			if err := json.Unmarshal(b, &res); err != nil || res.Bootstrap != 20 || res.Test.Before.ECE != *sum.ECEBefore || res.Test.Before.High == 0 {
				t.Errorf("calibration.json (%v): %+v", err, res)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "none")
	if code := run([]string{"train", "--out", out, "--bootstrap", "-1", "-q"}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "calibration.bootstrap must be in [0, 100000], got -1") {
		t.Errorf("--bootstrap -1: exit %d, %s", code, stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a run directory was created for --bootstrap -1")
	}
}
