package cliutil

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/practica-ml/practica/rundir"
)

// Version is what --version prints: the module's version when the binary
// was built from a tagged module (go install ...@v1.2.3), else Practica's
// own version number; then the VCS revision (with +dirty for uncommitted
// changes, as meta.json records it), its time, and the Go toolchain.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Sprintf("%s (no build information, %s %s/%s)", rundir.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	return version(bi)
}

func version(bi *debug.BuildInfo) string {
	v := rundir.Version
	if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
		v = mv
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	var parts []string
	if rev != "" {
		if dirty {
			rev += "+dirty"
		}
		r := "revision " + rev
		if at != "" {
			r += " of " + at
		}
		parts = append(parts, r)
	} else {
		parts = append(parts, "no VCS revision in the build (-buildvcs=false, or built outside a git checkout)")
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	parts = append(parts, fmt.Sprintf("%s %s/%s", bi.GoVersion, goos, goarch))
	return v + " (" + strings.Join(parts, ", ") + ")"
}
