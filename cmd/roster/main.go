// Command roster is Roster's one binary: the web server (`roster serve`, the
// default) and the admin commands that share its settings and database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"roster/internal/config"
)

// command is one subcommand. To add one, add a file whose init registers it.
type command struct {
	name    string
	summary string // one line, shown by `roster --help`
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError is a mistake on the command line: exit status 2. An empty
// message means the mistake was already reported.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	name := "serve"
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			if len(args) > 1 { // roster help <command>
				return run([]string{args[1], "--help"})
			}
			printUsage(os.Stdout)
			return 0
		}
		if !strings.HasPrefix(args[0], "-") {
			name, args = args[0], args[1:]
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "roster: unknown command %q\n\n", name)
		printUsage(os.Stderr)
		return 2
	}

	// The first SIGINT/SIGTERM cancels ctx so the command stops in order;
	// after that the default handling is back and a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	err := cmd.run(ctx, args)
	var usageErr *usageError
	var settingErr *config.SettingError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usageErr):
		if usageErr.msg != "" {
			fmt.Fprintf(os.Stderr, "roster %s: %s\n", name, usageErr.msg)
		}
		return 2
	case errors.As(err, &settingErr):
		fmt.Fprintf(os.Stderr, "roster: %v\n", err)
		return 2
	default:
		fmt.Fprintf(os.Stderr, "roster %s: %v\n", name, err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "Roster manages the users and organizations of B2B apps.\n\nUsage: roster [command] [arguments]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\nWith no command, roster serves. Run `roster <command> --help` for details.\nSettings come from environment variables; see the README.\n")
}

// newFlags returns a flag set for a command; usage is its synopsis after
// "roster", e.g. "migrate [up|status|down]", and help says more.
func newFlags(usage, help string) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+usage, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: roster %s\n\n%s\n", usage, help)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nOptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args: --help prints the usage on stdout (and the command
// then exits 0), a mistake prints it on stderr (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return err
	case err != nil:
		fs.SetOutput(os.Stderr)
		fmt.Fprintln(os.Stderr, err)
		fs.Usage()
		return &usageError{}
	}
	return nil
}
