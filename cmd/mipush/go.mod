module github.com/mipush-go/mipush/cmd/mipush

go 1.26.0

require github.com/mipush-go/mipush v0.0.0-00010101000000-000000000000

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

// The command is developed beside the library; go.work at the repository
// root ties them together as well.
replace github.com/mipush-go/mipush => ../..
