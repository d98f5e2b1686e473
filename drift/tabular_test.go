package drift

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// synthetic draws n rows of five numeric features (normal, std 1) and
// one categorical feature of three values, seeded.
func synthetic(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, 0, n*6)
	for range n {
		for range 5 {
			x = append(x, float32(rng.NormFloat64()))
		}
		x = append(x, float32(rng.IntN(3)))
	}
	return x
}

// TestFeaturesFindTheShiftedTwo: held-out rows of the training
// distribution drift nowhere; the same rows with features 0 and 3
// shifted by one standard deviation drift in exactly those two, in both
// regimes (p-value tests up to 1,000 reference rows, distances above).
func TestFeaturesFindTheShiftedTwo(t *testing.T) {
	names := []string{"f0", "f1", "f2", "f3", "f4", "cat"}
	for _, c := range []struct {
		name      string
		nRef      int
		numeric   string
		wantShare float64
	}{
		{"500 reference rows", 500, "ks", 2.0 / 6},
		{"3000 reference rows", 3000, "wasserstein", 2.0 / 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref, held := synthetic(c.nRef, 1), synthetic(400, 2)
			fs, err := Features(names, ref, held, DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.Drift {
					t.Errorf("held-out rows: %s drifts (%s %.4g)", f.Name, f.Test.Test, f.Statistic)
				}
			}
			if fs[0].Test.Test != c.numeric || fs[5].Test.Test != map[string]string{"ks": "chisquare", "wasserstein": "jensenshannon"}[c.numeric] {
				t.Errorf("tests %q and %q", fs[0].Test.Test, fs[5].Test.Test)
			}
			shifted := slices.Clone(held)
			for i := 0; i < len(shifted); i += 6 {
				shifted[i]++
				shifted[i+3]++
			}
			if fs, err = Features(names, ref, shifted, DefaultThresholds()); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				if f.Drift {
					got = append(got, f.Name)
				}
			}
			if !slices.Equal(got, []string{"f0", "f3"}) {
				t.Errorf("shifted f0 and f3; drifted %v", got)
			}
			if fs[0].PSILevel != "major" || fs[1].PSILevel != "none" {
				t.Errorf("PSI of f0 %.3f (%s), of f1 %.3f (%s)", fs[0].PSI, fs[0].PSILevel, fs[1].PSI, fs[1].PSILevel)
			}
			r := Report{Features: fs}
			r.Finish(DefaultThresholds())
			if r.Drift || r.Share != c.wantShare {
				t.Errorf("dataset drift %v, share %g; want false, %g", r.Drift, r.Share, c.wantShare)
			}
			r.Finish(Thresholds{PValue: 0.05, Distance: 0.1, Share: 0.3})
			if !r.Drift || !r.Alarm {
				t.Errorf("share 0.3: drift %v, alarm %v; want both", r.Drift, r.Alarm)
			}
		})
	}
}

// TestMMDSeparates: two Gaussian clouds a unit apart differ (p = 0 of
// 100 permutations); two draws of one cloud do not.
func TestMMDSeparates(t *testing.T) {
	cloud := func(n int, shift float64, seed uint64) []float64 {
		rng := rand.New(rand.NewPCG(seed, 1))
		x := make([]float64, n*4)
		for i := range x {
			x[i] = rng.NormFloat64() + shift
		}
		return x
	}
	for _, c := range []struct {
		name  string
		shift float64
		drift bool
	}{{"same cloud", 0, false}, {"shifted cloud", 1, true}} {
		r, err := MMDTest(cloud(200, 0, 1), cloud(200, c.shift, 2), 4, 100, 3)
		if err != nil {
			t.Fatal(err)
		}
		if (r.P < 0.05) != c.drift || len(r.Null) != 100 {
			t.Errorf("%s: MMD² %.4g, p %.2f, %d permutations; want drift %v", c.name, r.MMD2, r.P, len(r.Null), c.drift)
		}
	}
}

// TestChannels: two 1×2×2 images of 0..3 and 4..7 have mean 3.5 and
// population std √5.25.
func TestChannels(t *testing.T) {
	mean, std, err := Channels([]float32{0, 1, 2, 3, 4, 5, 6, 7}, []int{1, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	close(t, "mean", mean[0], 3.5, 1e-12)
	close(t, "std", std[0], 2.2912878475, 1e-9)
	if _, _, err := Channels([]float32{1, 2, 3}, []int{1, 2, 2}); err == nil {
		t.Error("3 values as 2×2 images: no error")
	}
}
