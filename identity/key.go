package identity

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
)

// Keys. The internal key of a node (its arena bytes) is
//
//	contact:    kindContact, uvarint(channel account index), user id
//	identifier: kind, normalized value
//
// and its persisted key — the changelog key, the tie-breaker of anchors and
// the input of customer ids, stable across processes — is
//
//	uvarint(len(team)), team, kind, rest
//
// where rest is the identifier value, or for a contact uvarint(len(channel
// type)), channel type, uvarint(len(channel id)), channel id, user id.

func (t *team) contactKey(dst []byte, ch uint32, uid string) []byte {
	dst = append(dst, byte(kindContact))
	dst = binary.AppendUvarint(dst, uint64(ch))
	return append(dst, uid...)
}

func identKey(dst []byte, k kind, v string) []byte {
	return append(append(dst, byte(k)), v...)
}

// channel interns a channel account.
func (t *team) channel(typ, id string) uint32 {
	r := chanRef{typ, id}
	if i, ok := t.chanIdx[r]; ok {
		return i
	}
	t.chans = append(t.chans, r)
	i := uint32(len(t.chans) - 1)
	t.chanIdx[r] = i
	return i
}

// contactParts decodes a contact's internal key.
func (t *team) contactParts(n uint32) (chanRef, string) {
	k := t.keyOf(n)[1:]
	ch, w := binary.Uvarint(k)
	return t.chans[ch], string(k[w:])
}

// value returns an identifier's normalized value.
func (t *team) value(n uint32) string { return string(t.keyOf(n)[1:]) }

// persistKey appends the persisted key of node n to dst.
func (t *team) persistKey(dst []byte, n uint32) []byte {
	return t.nodeKey(appendStr(dst, t.name), n)
}

// nodeKey appends the persisted key of node n without the team: the form
// edges are stored in.
func (t *team) nodeKey(dst []byte, n uint32) []byte {
	k := t.keyOf(n)
	if kind(k[0]) != kindContact {
		return append(dst, k...)
	}
	ch, uid := t.contactParts(n)
	dst = append(dst, byte(kindContact))
	dst = appendStr(dst, ch.typ)
	dst = appendStr(dst, ch.id)
	return append(dst, uid...)
}

func (t *team) statsKey() []byte {
	return append(appendStr(nil, t.name), byte(kindStats))
}

func appendStr(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

var errBadKey = errors.New("malformed key")

func readStr(b []byte) (string, []byte, error) {
	l, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < l {
		return "", nil, errBadKey
	}
	return string(b[w : w+int(l)]), b[w+int(l):], nil
}

// parsedKey is a decoded persisted key.
type parsedKey struct {
	team   string
	kind   kind
	chType string
	chID   string
	value  string // user id or identifier value
}

func parseKey(b []byte) (parsedKey, error) {
	team, rest, err := readStr(b)
	if err != nil {
		return parsedKey{}, err
	}
	p, err := parseNodeKey(rest)
	p.team = team
	return p, err
}

// parseNodeKey decodes a persisted key without its team.
func parseNodeKey(b []byte) (parsedKey, error) {
	var p parsedKey
	var err error
	if len(b) == 0 {
		return p, errBadKey
	}
	p.kind, b = kind(b[0]), b[1:]
	switch p.kind {
	case kindContact:
		if p.chType, b, err = readStr(b); err != nil {
			return p, err
		}
		if p.chID, b, err = readStr(b); err != nil {
			return p, err
		}
	case kindMember, kindPhone, kindEmail:
	case kindStats:
		if len(b) != 0 {
			return p, errBadKey
		}
		return p, nil
	default:
		return p, errBadKey
	}
	p.value = string(b)
	if p.value == "" {
		return p, errBadKey
	}
	return p, nil
}

// internalKey appends the internal key of a parsed node key.
func (t *team) internalKey(dst []byte, p parsedKey) []byte {
	if p.kind == kindContact {
		return t.contactKey(dst, t.channel(p.chType, p.chID), p.value)
	}
	return identKey(dst, p.kind, p.value)
}

// idHash is the hash a customer id is formatted from: the first 8 bytes of
// SHA-256 of the anchor's persisted key (which starts with the team).
func (t *team) idHash(anchor uint32) uint64 {
	t.keybuf = t.persistKey(t.keybuf[:0], anchor)
	sum := sha256.Sum256(t.keybuf)
	if h := binary.BigEndian.Uint64(sum[:8]); h != 0 {
		return h
	}
	return 1 // 0 means "no customer"

}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// formatID formats a customer id: "c_" and 13 base32 characters.
func formatID(h uint64) string {
	if h == 0 {
		return ""
	}
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], h)
	var out [2 + 13]byte
	out[0], out[1] = 'c', '_'
	idEncoding.Encode(out[2:], raw[:])
	return string(out[:])
}
