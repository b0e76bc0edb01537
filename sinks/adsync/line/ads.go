package line

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

// AdsCredentials are the access key and secret key of a LINE Ads group
// authorized for the API.
type AdsCredentials struct {
	AccessKey string
	SecretKey string
}

// LINE Ads id types of hashed audiences.
const (
	IDTypeEmail = "HASHED_EMAIL"
	IDTypePhone = "HASHED_PHONE_NUMBER"
)

// AdsUpload is one upload of hashed emails or phones to a LINE Ads custom
// audience.
type AdsUpload struct {
	// Key serializes uploads like Upload.Key.
	Key string
	// AdAccountID is the LINE Ads ad account.
	AdAccountID string
	// AudienceID adds to or replaces that custom audience; "" creates one.
	AudienceID string
	// Name is a new audience's name, 1…120 characters.
	Name string
	// IDType is IDTypeEmail or IDTypePhone.
	IDType string
	// Replace replaces the audience's members instead of adding to them.
	Replace bool
}

// AdsResult is what an ads upload did.
type AdsResult struct {
	AudienceID string `json:"audience_id"`
	Created    bool   `json:"created"`
	Requests   int    `json:"requests"`
	Sent       int    `json:"sent"`
	Skipped    int    `json:"skipped"`
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == toLowerHex(s)
}

func toLowerHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// UploadAds sends the hashes of src to a LINE Ads custom audience, at most
// AdsFileRows per file. A replacement sends its first file with action
// REPLACE and the rest with ADD; a new audience is created by the first
// file. No valid hash at all is ErrEmpty when creating or replacing.
func (c *Client) UploadAds(ctx context.Context, cred AdsCredentials, up AdsUpload, src Source, progress func(AdsResult)) (AdsResult, error) {
	res := AdsResult{AudienceID: up.AudienceID}
	if up.IDType != IDTypeEmail && up.IDType != IDTypePhone {
		return res, fmt.Errorf("%w: id type must be %s or %s, got %q", ErrInvalid, IDTypeEmail, IDTypePhone, up.IDType)
	}
	if up.AudienceID == "" {
		if n := utf8.RuneCountInString(up.Name); n == 0 || n > MaxDescription {
			return res, fmt.Errorf("%w: audience name must be 1-%d characters, got %d", ErrInvalid, MaxDescription, n)
		}
	}
	if up.Key != "" {
		unlock, err := c.locks.Lock(ctx, up.Key)
		if err != nil {
			return res, fmt.Errorf("wait for the previous upload of %s: %w", up.Key, err)
		}
		defer unlock()
	}
	b := &batcher{src: src, size: c.cfg.AdsFileRows, valid: isHash}
	path := "/api/v3/adaccounts/" + url.PathEscape(up.AdAccountID) + "/custom-audiences/upload"
	for {
		hashes, err := b.next(ctx)
		if err != nil {
			return res, err
		}
		res.Skipped = b.skipped
		if len(hashes) == 0 {
			if res.Requests == 0 && (up.AudienceID == "" || up.Replace) {
				return res, fmt.Errorf("upload to LINE Ads audience %q: %w (%d values are not SHA-256 hashes)", up.Name, ErrEmpty, b.skipped)
			}
			return res, nil
		}
		action := "ADD"
		if up.Replace && res.Requests == 0 {
			action = "REPLACE"
		}
		fields := map[string]string{"action": action, "idType": up.IDType}
		if res.AudienceID == "" {
			fields["name"] = up.Name
		} else {
			fields["id"] = res.AudienceID
		}
		var file bytes.Buffer
		for _, h := range hashes {
			file.WriteString(h)
			file.WriteByte('\n')
		}
		var answer struct {
			ID json.RawMessage `json:"id"` // a string by the spec; a number is accepted too
		}
		err = c.retry(ctx, c.cfg.AdsURL+path, func() (*http.Request, error) {
			return c.adsRequest(ctx, cred, path, fields, file.Bytes())
		}, &answer)
		if err != nil {
			return res, fmt.Errorf("%s %d hashes to LINE Ads audience %q of ad account %s: %w", action, len(hashes), res.AudienceID+up.Name, up.AdAccountID, err)
		}
		if res.AudienceID == "" {
			id := strings.Trim(string(answer.ID), `"`)
			if id == "" || id == "null" {
				return res, fmt.Errorf("create LINE Ads audience %q: the answer has no id", up.Name)
			}
			res.AudienceID, res.Created = id, true
		}
		res.Requests++
		res.Sent += len(hashes)
		if progress != nil {
			progress(res)
		}
	}
}

// adsRequest builds a multipart upload request signed as the LINE Ads API
// requires: a JWS (HS256, key id = access key) over the SHA-256 of the body
// (of "" for multipart bodies), the content type without its boundary, the
// date as YYYYMMDD and the canonical path.
func (c *Client) adsRequest(ctx context.Context, cred AdsCredentials, path string, fields map[string]string, file []byte) (*http.Request, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, k := range []string{"id", "name", "action", "idType"} {
		if v, ok := fields[k]; ok {
			if err := mw.WriteField(k, v); err != nil {
				return nil, err
			}
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="audience.txt"`)
	h.Set("Content-Type", "text/plain")
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	part.Write(file)
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.AdsURL+path, &body)
	if err != nil {
		return nil, err
	}
	now := c.cfg.now().UTC()
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Date", now.Format(http.TimeFormat))
	req.Header.Set("Authorization", "Bearer "+SignAds(cred, "", "multipart/form-data", now, path))
	return req, nil
}

// SignAds returns the JWS token of a LINE Ads API request: body is the
// request body ("" for none and for multipart bodies), contentType the
// media type without parameters ("" for none), path the canonical path
// including the /api base path.
func SignAds(cred AdsCredentials, body, contentType string, date time.Time, path string) string {
	enc := base64.URLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","kid":` + strconv.Quote(cred.AccessKey) + `,"typ":"text/plain"}`))
	digest := sha256.Sum256([]byte(body))
	payload := enc.EncodeToString([]byte(hex.EncodeToString(digest[:]) + "\n" + contentType + "\n" + date.UTC().Format("20060102") + "\n" + path))
	mac := hmac.New(sha256.New, []byte(cred.SecretKey))
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + enc.EncodeToString(mac.Sum(nil))
}
