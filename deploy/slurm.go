package deploy

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// SlurmProgram is the command the script runs: practica on the nodes'
// PATH.
const SlurmProgram = "practica"

var notInSlurmName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SlurmJobName is the job's name for a search. sbatch reads #SBATCH lines
// itself, without a shell, so the name keeps only characters that need no
// quoting there.
func SlurmJobName(search string) string {
	return strings.TrimRight("practica-search-"+notInSlurmName.ReplaceAllString(search, "-"), "-")
}

// WriteSlurm writes an sbatch script that runs s as a job array of
// s.Shards tasks. The paths in s are the nodes' paths: a shared file
// system holds the space file and the output root. Nothing is written
// when the script cannot be made.
func WriteSlurm(w io.Writer, s Search, r Resources) error {
	if err := s.validate(); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	configPath := ""
	if s.Config != nil {
		configPath = s.Config.Path
	}
	name := SlurmJobName(s.Name)
	var b bytes.Buffer
	fmt.Fprintf(&b, "#!/bin/bash\n")
	// The job's name and not the search's: a newline in the latter would
	// end the comment.
	fmt.Fprintf(&b, "# %s in %d shards: submit with sbatch; each array task runs\n", name, s.Shards)
	fmt.Fprintf(&b, "# the shard that SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT name.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", s.Shards-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", r.CPU.Value()) // Value rounds 500m up to 1
	fmt.Fprintf(&b, "#SBATCH --mem=%dM\n", mebibytes(r.Memory.Value()))
	fmt.Fprintf(&b, "#SBATCH --output=%s-%%A_%%a.out\n", name)
	fmt.Fprintf(&b, "#SBATCH --error=%s-%%A_%%a.err\n", name)
	fmt.Fprintf(&b, "set -euo pipefail\n")
	words := append([]string{"exec", SlurmProgram}, s.trainArgs(s.Space.Path, configPath)...)
	for i, word := range words {
		words[i] = ShellQuote(word)
	}
	fmt.Fprintf(&b, "%s\n", strings.Join(words, " "))
	_, err := w.Write(b.Bytes())
	return err
}

// mebibytes rounds n bytes up to whole MiB, Slurm's unit "M".
func mebibytes(n int64) int64 {
	return (n + 1<<20 - 1) >> 20
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote makes s one word for a POSIX shell: as it is when it holds
// only characters the shell gives no meaning, else in single quotes, in
// which only a single quote needs escaping.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
