package region

import (
	"fmt"
	"strings"

	"github.com/gosess/gosess/internal/args"
)

// Arguments gives a driver factory typed, checked access to the driver
// arguments of a Config (or the "arguments.*" keys of a flat config map).
// It is the one argument reader of the module: session.Args is the same
// type, so driver arguments and session settings accept the same forms.
//
// Its accessors, each of which marks its argument as known:
//
//	Has(name) bool                     given, and not nil
//	Any(name) (any, bool)              the raw value (Go objects: a client, a TLS config)
//	String(name, def) string
//	Strings(name, def) []string        a []string, a []any of strings, or "a, b, c"
//	Int(name, def) int                 integer kinds, integral floats, "300"
//	Float(name, def) float64
//	Bool(name, def) bool               also "yes"/"no", "on"/"off"
//	Duration(name, def) time.Duration  a time.Duration; a number or "300" in seconds; "5m"
//	Keys(name) [][]byte                a key or key ring ("hex:...", "base64:...")
//	Fail(name, format, args...)        records a check of the factory's own
//	Err() error                        every error, joined; nil when all is well
//
// A nil value counts as not given, and an absent argument returns def. A
// value that cannot be converted records an error wrapping
// ErrInvalidArgument and returns def; Err reports all of them, and also
// every argument that no accessor asked for, so a misspelt argument is an
// error instead of being silently ignored. Factories return Err last.
type Arguments = args.Args

// NewArguments wraps values for the named driver. values is not modified.
func NewArguments(driver string, values map[string]any) *Arguments {
	return args.New(values, &args.Spec{
		Err: ErrInvalidArgument,
		Where: func(name string) string {
			return fmt.Sprintf("driver %q argument %q", driver, name)
		},
		Unknown: func(unknown, asked []string) error {
			takes := "it takes none"
			if len(asked) > 0 {
				takes = "it takes: " + strings.Join(asked, ", ")
			}
			return fmt.Errorf("%w: driver %q does not take argument(s) %s (%s)",
				ErrInvalidArgument, driver, strings.Join(unknown, ", "), takes)
		},
	})
}
