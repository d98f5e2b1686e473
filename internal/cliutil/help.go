package cliutil

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// HelpTemplate is the help of a command, the same for the practica
// subcommand and the program of its own. Its flags are grouped in
// categories, in the order given (urfave/cli would sort categories and
// flags by name), or in one list when categories is nil; and in the
// order they are declared, so that the help reads top down, what to
// train on before how. Each of usages is a usage line after the command's
// name.
func HelpTemplate(flags []cli.Flag, categories []string, usages ...string) string {
	var b strings.Builder
	b.WriteString("NAME:\n   {{.HelpName}} - {{.Usage}}\n\nUSAGE:\n")
	for _, u := range usages {
		b.WriteString("   {{.HelpName}} " + escape(u) + "\n")
	}
	b.WriteString("\nOPTIONS:\n")
	if categories == nil {
		categories = []string{""}
	}
	for _, cat := range categories {
		indent := "   "
		if cat != "" {
			b.WriteString("\n   " + escape(cat) + ":\n")
			indent = "     "
		}
		for _, f := range flags {
			vf, ok := f.(cli.VisibleFlag)
			if !ok || !vf.IsVisible() {
				continue
			}
			if cf, ok := f.(cli.CategorizableFlag); ok && cf.GetCategory() != cat {
				continue
			}
			b.WriteString(indent + escape(f.String()) + "\n")
		}
	}
	b.WriteString("\n   --help, -h\tshow help\n")
	return b.String()
}

// escape keeps text/template from reading text as an action.
func escape(s string) string {
	return strings.ReplaceAll(s, "{{", `{{"{{"}}`)
}
