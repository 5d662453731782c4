// Package enum names the values of the module's small integer enums
// (region.Mode, region.Atomicity, driver.Reach). Those number their values
// from 1, so that the zero value, which a forgotten field or argument
// holds, is never one of them; their String methods print it, and any
// other value out of range, as the type and the number ("Mode(0)").
package enum

import "fmt"

// Name returns the name of v in an enum numbered from 1: names[0] for 1,
// names[1] for 2, and so on. A value with no name is written as typeName
// and the number, as "Mode(0)".
func Name[T ~int](v T, typeName string, names ...string) string {
	if v >= 1 && int(v) <= len(names) {
		return names[v-1]
	}
	return fmt.Sprintf("%s(%d)", typeName, int(v))
}
