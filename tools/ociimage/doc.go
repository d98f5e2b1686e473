// Command ociimage writes an OCI image layout directory holding the static
// practica binary, without a container daemon or a registry: the same
// image the Dockerfile builds (the binary as /practica, its entrypoint,
// the distroless "nonroot" user), for machines that have neither.
//
//	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o bin/practica ./cmd/practica
//	go run ./tools/ociimage -binary bin/practica -out practica-oci
//	skopeo copy oci:practica-oci:latest docker://REGISTRY/practica:TAG
//
// The image is reproducible: the same binary gives the same digests, as
// every time stamp in it is the Unix epoch.
package main
