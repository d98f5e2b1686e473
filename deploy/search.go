package deploy

import (
	"errors"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// File is a file the search command reads: where it is on the machine
// that emits the description, and what it holds.
type File struct {
	Path    string
	Content []byte
}

// Search is the search every shard runs.
type Search struct {
	Space  File  // the search space (train --search)
	Config *File // the experiment file (train --config), or nil
	// Name is the search's name (train --name): shards meet in
	// ROOT/search-NAME, and the scheduler's job is named after it.
	Name   string
	Shards int
	// OutRoot is the output root (train --out) as the shards see it.
	OutRoot string
	// TrainArgs are the other train flags, passed through unchanged,
	// each one word such as "--epochs=5".
	TrainArgs []string
}

// Resources are what one shard asks of its machine.
type Resources struct {
	CPU    resource.Quantity
	Memory resource.Quantity
}

// validate checks what both schedulers need.
func (s Search) validate() error {
	if s.Shards < 1 {
		return fmt.Errorf("shards must be ≥ 1, got %d", s.Shards)
	}
	if s.Name == "" {
		return errors.New("the search has no name")
	}
	if s.OutRoot == "" {
		return errors.New("the search has no output root")
	}
	return nil
}

func (r Resources) validate() error {
	if r.CPU.Sign() <= 0 {
		return fmt.Errorf("cpu must be more than 0, got %s", r.CPU.String())
	}
	if r.Memory.Sign() <= 0 {
		return fmt.Errorf("memory must be more than 0, got %s", r.Memory.String())
	}
	return nil
}

// trainArgs is the command line of every shard after the program's name:
// the space and config files at the paths the shard reads them from.
func (s Search) trainArgs(spacePath, configPath string) []string {
	args := []string{"train", "--search", spacePath, "--shards", strconv.Itoa(s.Shards),
		"--out", s.OutRoot, "--name", s.Name}
	if s.Config != nil {
		args = append(args, "--config", configPath)
	}
	return append(args, s.TrainArgs...)
}
