// Package static holds the console's CSS, JavaScript and images, built into
// the binary. Each file is served under a name that carries a hash of its
// content (app.css → /static/app.3f9a1c2b.css), so browsers may cache it
// forever and still see a new version the moment it changes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// Asset is one embedded file.
type Asset struct {
	Name        string // logical name, e.g. "app.css"
	Hashed      string // served name, e.g. "app.3f9a1c2b.css"
	Hash        string // the content hash in Hashed; doubles as an ETag
	ContentType string
	Body        []byte
}

// The maps are filled once at start and only read afterwards.
var (
	byName   = map[string]*Asset{}
	byHashed = map[string]*Asset{}
)

func init() {
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		// Logical names are flat, so two files with one base name would
		// shadow each other; refuse them at start rather than serve the wrong one.
		if _, dup := byName[name]; dup {
			return fmt.Errorf("static: two files named %q", name)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:4])
		ext := path.Ext(name)
		a := &Asset{
			Name:        name,
			Hashed:      strings.TrimSuffix(name, ext) + "." + hash + ext,
			Hash:        hash,
			ContentType: mime.TypeByExtension(ext),
			Body:        body,
		}
		if a.ContentType == "" {
			a.ContentType = "application/octet-stream"
		}
		byName[name] = a
		byHashed[a.Hashed] = a
		return nil
	})
	if err != nil {
		panic(err)
	}
}

// URL returns the content-hashed URL path of the asset with the logical name
// name ("app.css"). A name that does not exist is a bug in a template, so it
// panics; any test that renders the page finds it.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic(fmt.Sprintf("static: no asset named %q", name))
	}
	return Prefix + a.Hashed
}

// Lookup finds an asset by its hashed name ("app.3f9a1c2b.css"). A stale or
// made-up hash finds nothing.
func Lookup(hashed string) (*Asset, bool) {
	a, ok := byHashed[hashed]
	return a, ok
}

// Get finds an asset by its logical name, for the few places that must serve
// a fixed URL (the /favicon.ico browsers ask for on their own).
func Get(name string) (*Asset, bool) {
	a, ok := byName[name]
	return a, ok
}
