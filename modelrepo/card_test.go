package modelrepo

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-ml/practica/model"
)

func TestCheckName(t *testing.T) {
	cases := []struct {
		name string
		want string // "" for a valid name, else part of the error
	}{
		{"digits", ""},
		{"bc-linear_v2.1", ""},
		{"9", ""},
		{strings.Repeat("a", 100), ""},
		{strings.Repeat("a", 101), "101 characters, more than 100"},
		{"", "empty"},
		{".hidden", "not a letter or digit"},
		{"-flag", "not a letter or digit"},
		{"..", "not a letter or digit"},
		{"a/b", "not a letter or digit"},
		{`a\b`, "not a letter or digit"},
		{"a b", "not a letter or digit"},
		{"modèle", "not a letter or digit"},
		{"a\x00", "not a letter or digit"},
	}
	for _, c := range cases {
		err := CheckName(c.name)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckName(%q) = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	cases := []struct {
		name string
		want int // 0: not a version
	}{
		{"1", 1}, {"2", 2}, {"10", 10}, {"123456789012345678", 123456789012345678},
		{"0", 0}, {"01", 0}, {"-1", 0}, {"+1", 0}, {" 1", 0}, {"1 ", 0}, {"1.0", 0},
		{"", 0}, {"x", 0}, {".tmp-1", 0}, {"1234567890123456789", 0}, {"١", 0},
	}
	for _, c := range cases {
		got, ok := parseVersion(c.name)
		if ok != (c.want > 0) || got != c.want {
			t.Errorf("parseVersion(%q) = %d, %v; want %d", c.name, got, ok, c.want)
		}
	}
}

// validCard is the smallest card that passes check.
func validCard() Card {
	return Card{Name: "m", Version: 1, Checkpoint: CheckpointFile, SHA256: strings.Repeat("ab", 32),
		Input: model.InputSchema{Kind: "tabular", Shape: []int{2}}, Classes: []string{"a", "b"}, Temperature: 1,
		Config: map[string]any{"training": map[string]any{"seed": 1}}}
}

func TestParseCardRefuses(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Card)
		want string
	}{
		{"no name", func(c *Card) { c.Name = "" }, "name is empty"},
		{"negative version", func(c *Card) { c.Version = -1 }, "version must be a positive integer, got -1"},
		{"no checkpoint", func(c *Card) { c.Checkpoint = "" }, `checkpoint must be a file name relative to the card's directory, inside it, got ""`},
		{"checkpoint outside", func(c *Card) { c.Checkpoint = "../1/model.ckpt" }, "checkpoint must be"},
		{"absolute checkpoint", func(c *Card) { c.Checkpoint = "/etc/passwd" }, "checkpoint must be"},
		{"short sha256", func(c *Card) { c.SHA256 = "abc" }, `sha256 must be 64 lowercase hex digits, got "abc"`},
		{"upper-case sha256", func(c *Card) { c.SHA256 = strings.Repeat("AB", 32) }, "sha256 must be"},
		{"no classes", func(c *Card) { c.Classes = nil }, "classes is empty"},
		{"no input shape", func(c *Card) { c.Input.Shape = nil }, "input.shape is empty"},
	}
	for _, c := range cases {
		card := validCard()
		c.edit(&card)
		b, err := json.Marshal(card)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseCard(b); err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	for _, b := range []string{"", "null", "[]", `{"name": 1}`, "{} {}"} {
		if _, err := parseCard([]byte(b)); err == nil {
			t.Errorf("%q parsed", b)
		}
	}
}

// FuzzParseCard: no input makes the parser panic, and a card it accepts
// names a checkpoint inside its own directory, has a well-formed hash
// and survives a round trip through JSON unchanged.
func FuzzParseCard(f *testing.F) {
	good, err := json.Marshal(validCard())
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parseCard(good); err != nil {
		f.Fatalf("the valid seed does not parse: %v", err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"model.ckpt"`), []byte(`"../model.ckpt"`), 1))
	f.Add(bytes.Replace(good, []byte(`"version":1`), []byte(`"version":1e99`), 1))
	for _, s := range []string{"", "{}", "null", "[]", `{"name":"m"}`, "{} {}", `{"config":{"a":[1,{"b":null}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCard(b)
		if err != nil {
			return
		}
		if err := c.check(); err != nil {
			t.Fatalf("accepted a card that fails its check: %v", err)
		}
		if strings.HasPrefix(c.Checkpoint, "/") || strings.Contains("/"+c.Checkpoint+"/", "/../") {
			t.Fatalf("accepted checkpoint %q", c.Checkpoint)
		}
		once, err := json.Marshal(c)
		if err != nil {
			return // a value JSON decodes but cannot encode, such as a huge exponent
		}
		again, err := parseCard(once)
		if err != nil {
			t.Fatalf("a marshalled card does not parse: %v\n%s", err, once)
		}
		twice, _ := json.Marshal(again)
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip changed the card:\n%s\n%s", once, twice)
		}
	})
}

// FuzzParseVersion: a name accepted as a version is the canonical decimal
// spelling of a positive integer, so each version has one directory.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1", "10", "01", "0", "-1", "+1", "1e3", "", "١", "999999999999999999", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseVersion(s)
		if ok && (v < 1 || strconv.Itoa(v) != s) {
			t.Fatalf("parseVersion(%q) = %d", s, v)
		}
	})
}
