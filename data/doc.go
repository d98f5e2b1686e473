// Package data holds examples apart from their labels and moves them one
// way: from a source (the embedded digits, CSV, IDX, an image folder, a
// synthetic generator) through a seeded stratified split and a normalization
// fitted on the training split only, to seeded mini-batches.
//
// A Dataset is plain memory: N examples of float32 features laid out
// row-major with a sample shape ([D] for tabular data, [C H W] for images),
// and N integer labels kept in their own slice, so that a labels file can
// replace them without touching the features. Nothing here knows about
// models or training.
//
// A file costs what its header announces (IDX dimensions, an image's
// width and height), so readers check the header against Limits before
// reading or decoding the body, and an IDX body must be exactly as long
// as announced, compressed or not.
package data
