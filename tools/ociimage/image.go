package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// Entrypoint is where the binary sits in the image.
	Entrypoint = "/practica"
	// nonRoot is distroless's "nonroot" user and group, which the
	// Kubernetes Job runs as too.
	nonRoot = 65532
	// home is the working directory: a run without --out writes under it.
	home = "/home/nonroot"
	// refNameAnnotation names an image of a layout, as oci:DIR:TAG reads it.
	refNameAnnotation = "org.opencontainers.image.ref.name"
)

// epoch is every time stamp in the image, so that it is reproducible.
var epoch = time.Unix(0, 0).UTC()

// goArchOfELF maps an ELF machine to the platform's architecture.
var goArchOfELF = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}

// Platform reads a static Linux binary's architecture from its ELF
// header; a dynamically linked binary is refused, since the image has no
// C library for it.
func Platform(binary []byte) (v1.Platform, error) {
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		return v1.Platform{}, fmt.Errorf("not a Linux (ELF) binary: %w", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return v1.Platform{}, errors.New("a dynamically linked binary: build it with CGO_ENABLED=0")
		}
	}
	arch, ok := goArchOfELF[f.Machine]
	if !ok {
		return v1.Platform{}, fmt.Errorf("an ELF binary for %s, not amd64 or arm64", f.Machine)
	}
	return v1.Platform{OS: "linux", Architecture: arch}, nil
}

// rootFS is the image's only layer: the binary, a writable /tmp and the
// user's home.
func rootFS(binary []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil},
		{tar.Header{Typeflag: tar.TypeDir, Name: "home/", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeDir, Name: "home/nonroot/", Mode: 0o700, Uid: nonRoot, Gid: nonRoot}, nil},
		{tar.Header{Typeflag: tar.TypeReg, Name: Entrypoint[1:], Mode: 0o755, Size: int64(len(binary))}, binary},
	}
	for _, e := range entries {
		e.hdr.ModTime, e.hdr.Format = epoch, tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Image is the image of a static binary: one layer on nothing, run as
// the non-root user.
func Image(binary []byte) (v1.Image, error) {
	platform, err := Platform(binary)
	if err != nil {
		return nil, err
	}
	fs, err := rootFS(binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(fs)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "ociimage: " + Entrypoint}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Created = platform.OS, platform.Architecture, v1.Time{Time: epoch}
	cfg.Config.User = fmt.Sprintf("%d:%d", nonRoot, nonRoot)
	cfg.Config.Entrypoint = []string{Entrypoint}
	cfg.Config.WorkingDir = home
	cfg.Config.Env = []string{"HOME=" + home}
	return mutate.ConfigFile(img, cfg)
}

// WriteLayout writes the image of binary as an OCI image layout at dir,
// under tag. dir must not exist: the layout is written beside it and
// renamed into place, so that a failure leaves no half-written layout.
func WriteLayout(dir, tag string, binary []byte) (v1.Image, error) {
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("%s exists: remove it, or name a new directory", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	img, err := Image(binary)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	platform := cfg.Platform()
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{
		Add:        img,
		Descriptor: v1.Descriptor{Platform: platform, Annotations: map[string]string{refNameAnnotation: tag}},
	})
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp*")
	if err != nil {
		return nil, err
	}
	if _, err := layout.Write(tmp, idx); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	// MkdirTemp made it private; a layout is read by other users' tools.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return img, nil
}
