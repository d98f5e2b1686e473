// Package kerneltest runs a package's tests on the matrix multiply that the
// commands install at start-up (kernels.Install), so that tests see the
// same arithmetic, to the bit, as the binaries.
package kerneltest

import (
	"os"
	"testing"

	"github.com/practica-ml/practica/kernels"
)

// Main installs the kernels and runs the tests; call it from TestMain.
func Main(m *testing.M) {
	kernels.Install()
	os.Exit(m.Run())
}
