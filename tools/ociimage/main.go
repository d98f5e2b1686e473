package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments: 0 on success, 1 on a failure, 2
// on a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binary := fs.String("binary", "", "the static practica binary (CGO_ENABLED=0 go build -o bin/practica ./cmd/practica)")
	out := fs.String("out", "", "the OCI image layout directory to write; it must not exist")
	tag := fs.String("tag", "latest", "the image's name in the layout (oci:DIR:TAG)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, f := range []struct{ name, value string }{{"binary", *binary}, {"out", *out}, {"tag", *tag}} {
		if f.value == "" {
			fmt.Fprintf(stderr, "ociimage: -%s is required\n", f.name)
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ociimage: unexpected arguments %q: ociimage takes only flags\n", fs.Args())
		return 2
	}
	b, err := os.ReadFile(*binary)
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: -binary: %v\n", err)
		return 1
	}
	img, err := WriteLayout(*out, *tag, b)
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %s: %v\n", *binary, err)
		return 1
	}
	digest, err := img.Digest()
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	layers, err := img.Layers()
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	size, err := layers[0].Size()
	if err != nil {
		fmt.Fprintf(stderr, "ociimage: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: oci:%s:%s %s (one layer, %.1f MiB compressed)\n", *binary, *out, *tag, digest, float64(size)/(1<<20))
	return 0
}
