package traincmd

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// --max-memory is a flag and not a config key: it describes the machine,
// not the experiment (experiment.Options.MaxMemory).

const (
	// defaultMemoryPercent of MemTotal is the limit when --max-memory is not
	// given: the rest is left to what the estimate leaves out (the data,
	// the Go runtime, garbage not yet collected; measured peaks were about
	// 1.2 times the estimate, see model.MemoryEstimate) and to whatever
	// else the machine runs.
	defaultMemoryPercent = 75
	// fallbackMaxMemory is the limit when /proc/meminfo cannot be read (not
	// Linux, or a sandbox without /proc).
	fallbackMaxMemory = 8 << 30
)

// memInfo is where Linux tells MemTotal.
const memInfo = "/proc/meminfo"

func maxMemoryFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-memory", Category: catOutput, Usage: "refuse a model estimated to need more memory, and hold the Go heap under it: 16GiB, 500MB, 50% (of MemTotal) or off",
		DefaultText: fmt.Sprintf("%d%% of MemTotal, else %s", defaultMemoryPercent, bytesText(fallbackMaxMemory))}
}

// maxMemory reads --max-memory: the limit in bytes (0: none) and how it
// was set, for the refusal's message.
func maxMemory(c *cli.Context) (int64, string, error) {
	total, totalErr := memTotal(memInfo)
	if !c.IsSet("max-memory") {
		if totalErr != nil {
			return fallbackMaxMemory, "the default where " + memInfo + " is unreadable; --max-memory sets it", nil
		}
		return total / 100 * defaultMemoryPercent,
			fmt.Sprintf("%d%% of MemTotal %s; --max-memory sets it", defaultMemoryPercent, bytesText(total)), nil
	}
	s := c.String("max-memory")
	if strings.HasSuffix(strings.TrimSpace(s), "%") && totalErr != nil {
		return 0, "", fmt.Errorf("--max-memory %q: a percentage needs MemTotal, and %v: give a size such as 16GiB", s, totalErr)
	}
	n, err := parseMemory(s, total)
	if err != nil {
		return 0, "", fmt.Errorf("--max-memory %w", err)
	}
	return n, "--max-memory", nil
}

// holdHeapUnder makes limit (when > 0) the Go runtime's soft memory limit
// unless GOMEMLIMIT sets one, and returns what puts the previous limit
// back. Without it the garbage collector lets the heap grow to about twice
// what is live before collecting, so a run that the estimate lets through
// could still exceed the limit; with it, it collects harder instead.
func holdHeapUnder(limit int64) (restore func()) {
	if limit <= 0 || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}

// parseMemory reads a size: a number of bytes with an optional unit (B;
// KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024;
// any case, a space allowed before it), a percentage of total, or off
// (0: no limit).
func parseMemory(s string, total int64) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "off") {
		return 0, nil
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "%"):
		t, mult = strings.TrimSuffix(t, "%"), float64(total)/100
	default:
		lower := strings.ToLower(t)
		for _, u := range []struct {
			suffix string
			mult   float64
		}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
			{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1}} {
			if strings.HasSuffix(lower, u.suffix) {
				t, mult = t[:len(t)-len(u.suffix)], u.mult
				break
			}
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	bytes := v * mult
	if err != nil || !(bytes >= 1) || bytes > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: want a size such as 16GiB or 500MB, a percentage of MemTotal such as 50%%, or off", s)
	}
	return int64(bytes), nil
}

// memTotal reads MemTotal from a file in the format of /proc/meminfo, in
// bytes.
func memTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "MemTotal:       24683620 kB"
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 {
				break
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s has no MemTotal line in kB", path)
}

// bytesText writes n in GiB (MiB below one GiB), as the refusal does.
func bytesText(n int64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
