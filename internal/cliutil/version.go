package cliutil

import (
	"fmt"
	"runtime"
	"runtime/debug"

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
	goos, goarch := runtime.GOOS, runtime.GOARCH
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	rev := "no VCS revision in the build (-buildvcs=false, or built outside a git checkout)"
	if r, at := rundir.Revision(bi); r != "" {
		rev = "revision " + r
		if at != "" {
			rev += " of " + at
		}
	}
	return fmt.Sprintf("%s (%s, %s %s/%s)", v, rev, bi.GoVersion, goos, goarch)
}
