package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/internal/cliutil"
)

// The bash and zsh scripts are urfave/cli's own (autocomplete/ in its
// repository, MIT licence), bound to practica: they ask the binary itself
// for the words that may come next (--generate-bash-completion), so they
// never go stale. Fish gets urfave/cli's generated script.
const bashCompletion = `# practica bash completion: source <(practica completion bash)
_practica_bash_autocomplete() {
  if [[ "${COMP_WORDS[0]}" != "source" ]]; then
    local cur opts words cword
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
    if [[ "$cur" == "-"* ]]; then
      opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
    else
      opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
    fi
    COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
    return 0
  fi
}
complete -o bashdefault -o default -o nospace -F _practica_bash_autocomplete practica
`

const zshCompletion = `#compdef practica
# practica zsh completion: source <(practica completion zsh)
_practica_zsh_autocomplete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _practica_zsh_autocomplete practica
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		UsageText: "source <(practica completion bash)   # or zsh; fish: practica completion fish | source",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cliutil.Usagef(c, "give one shell: bash, zsh or fish")
			}
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				var err error
				if script, err = c.App.ToFishCompletion(); err != nil {
					return err
				}
			default:
				return cliutil.Usagef(c, "no completion for %q: give bash, zsh or fish", shell)
			}
			_, err := fmt.Fprint(c.App.Writer, strings.TrimLeft(script, "\n"))
			return err
		},
	}
}
