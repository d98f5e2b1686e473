// Package config is the one description of an experiment: data (source,
// split, normalization, augmentation), model, optimizer, training and
// output. It composes the option types of the packages that do the work,
// fills defaults that train well on the embedded digits, loads YAML
// strictly (an unknown key is an error), and validates with messages a
// user can act on. The resolved config of a run is written back as YAML
// and reads again to the same value.
package config
