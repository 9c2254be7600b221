package seed

import (
	"encoding/base32"
	"strconv"
	"time"
)

// chunkSize is how much COPY text is handed to the driver at once: large
// enough that per-call costs vanish, small enough to stay under lib/pq's
// 64 KiB send buffer so it never has to grow it.
const chunkSize = 32 << 10

// rowWriter builds PostgreSQL COPY text lines and hands them on in chunks.
// Values are appended unescaped: every string comes from the lists in
// names.go or is made here, and none holds a tab, newline or backslash.
type rowWriter struct {
	buf   []byte
	cols  int   // values written on the current line
	rows  int64 // complete lines in buf
	flush func(chunk []byte, rows int64) error
}

func newRowWriter(flush func(chunk []byte, rows int64) error) *rowWriter {
	return &rowWriter{buf: make([]byte, 0, chunkSize+4096), flush: flush}
}

func (w *rowWriter) sep() {
	if w.cols > 0 {
		w.buf = append(w.buf, '\t')
	}
	w.cols++
}

func (w *rowWriter) str(s string) {
	w.sep()
	w.buf = append(w.buf, s...)
}

func (w *rowWriter) null() {
	w.sep()
	w.buf = append(w.buf, `\N`...)
}

func (w *rowWriter) int(v int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, v, 10)
}

func (w *rowWriter) bool(v bool) {
	w.sep()
	if v {
		w.buf = append(w.buf, 't')
	} else {
		w.buf = append(w.buf, 'f')
	}
}

// id writes prefix_ and the 26-character base32 form of raw, the format of
// internal/ids (which cannot be used here: its ids come from crypto/rand,
// and a seeded run must repeat exactly).
func (w *rowWriter) id(prefix string, raw *[16]byte) {
	w.sep()
	w.buf = appendID(w.buf, prefix, raw)
}

// ts writes a timestamp given in Unix microseconds, in UTC.
func (w *rowWriter) ts(us int64) {
	w.sep()
	w.buf = appendTimestamp(w.buf, us)
}

// tsOrNull writes NULL for 0, the zero value meaning "not set" here.
func (w *rowWriter) tsOrNull(us int64) {
	if us == 0 {
		w.null()
		return
	}
	w.ts(us)
}

// endRow finishes a line and passes the buffer on once a chunk is full.
func (w *rowWriter) endRow() error {
	w.buf = append(w.buf, '\n')
	w.cols = 0
	w.rows++
	if len(w.buf) >= chunkSize {
		return w.done()
	}
	return nil
}

// done passes on whatever is buffered.
func (w *rowWriter) done() error {
	if w.rows == 0 {
		return nil
	}
	err := w.flush(w.buf, w.rows)
	w.buf = w.buf[:0]
	w.rows = 0
	return err
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func appendID(b []byte, prefix string, raw *[16]byte) []byte {
	var enc [26]byte
	idEncoding.Encode(enc[:], raw[:])
	b = append(b, prefix...)
	b = append(b, '_')
	return append(b, enc[:]...)
}

func formatID(prefix string, raw *[16]byte) string {
	return string(appendID(nil, prefix, raw))
}

// appendTimestamp writes "2006-01-02 15:04:05.000000+00" by hand: it runs
// for several million values and time.AppendFormat is a few times slower.
func appendTimestamp(b []byte, us int64) []byte {
	t := time.UnixMicro(us).UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, ' ')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	return append(b, "+00"...)
}

// appendDigits writes v zero-padded to width digits.
func appendDigits(b []byte, v, width int) []byte {
	var d [8]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:width]...)
}
