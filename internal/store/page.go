package store

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"roster/internal/apperr"
)

// Lists are paged by keyset on (created_at, id), never by OFFSET: page 2,000
// of a 200k-member org costs what page 1 does. A page token is an opaque
// base64 of the position it continues from and the direction.

// PageRequest asks for one page of a list.
type PageRequest struct {
	Size  int    // 1..100; 0 means the default of 50
	Token string // empty for the first page
}

// Cursor is a position in a list ordered by (created_at, id).
type Cursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"i"`
	// Backward is true for a prev_page_token: the page before this position.
	Backward bool `json:"b,omitempty"`
}

// PageInfo comes back with a page.
type PageInfo struct {
	NextToken string
	PrevToken string
	TotalSize int
}

const (
	defaultPageSize = 50
	maxPageSize     = 100
)

// Parse checks the request and decodes its token.
func (p PageRequest) Parse() (size int, cur *Cursor, err error) {
	size = p.Size
	if size == 0 {
		size = defaultPageSize
	}
	if size < 1 || size > maxPageSize {
		return 0, nil, apperr.Invalid(apperr.Field("page_size", "must be between 1 and 100"))
	}
	if p.Token == "" {
		return size, nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Token)
	var c Cursor
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return 0, nil, apperr.Invalid(apperr.Field("page_token", "is not a token this API gave out"))
	}
	return size, &c, nil
}

func (c Cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// keysetArgs gives the SQL comparison and order for a page query:
//
//	WHERE (created_at, id) > ($t, $id) ORDER BY created_at, id LIMIT size+1
//
// or, for a page backward, "<" and DESC; finishPage puts rows back in order.
func keysetArgs(cur *Cursor) (after bool, t time.Time, id string) {
	if cur == nil {
		return true, time.Time{}, ""
	}
	return !cur.Backward, cur.CreatedAt, cur.ID
}

// finishPage trims rows fetched with LIMIT size+1, reverses a backward page
// into display order and works out the tokens around it.
func finishPage[T any](rows []T, size int, cur *Cursor, key func(T) (time.Time, string)) ([]T, PageInfo) {
	var info PageInfo
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	backward := cur != nil && cur.Backward
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	if len(rows) == 0 {
		return rows, info
	}
	firstT, firstID := key(rows[0])
	lastT, lastID := key(rows[len(rows)-1])
	if more && !backward || backward {
		info.NextToken = Cursor{CreatedAt: lastT, ID: lastID}.encode()
	}
	if more && backward || !backward && cur != nil {
		info.PrevToken = Cursor{CreatedAt: firstT, ID: firstID, Backward: true}.encode()
	}
	return rows, info
}

// Token is the page token that continues forward from this position; tools
// and benchmarks use it to jump deep into a list without paging there.
func (c Cursor) Token() string { return c.encode() }
