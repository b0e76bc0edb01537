package chserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/omnistream/omnistream/internal/chdb"
)

// ClickHouse error codes the server raises itself.
const (
	codeUnsupportedMethod    = 1
	codeBadArguments         = 36
	codeNotImplemented       = 48
	codeSyntaxError          = 62
	codeTimeoutExceeded      = 159
	codeReadonly             = 164
	codeQueryWasCancelled    = 394
	codeAuthenticationFailed = 516
	codeQueryIsTooLarge      = 131
	codeCannotDecompress     = 271
	codeAccessDenied         = 497
)

var codeNames = map[int]string{
	codeUnsupportedMethod:    "UNSUPPORTED_METHOD",
	codeBadArguments:         "BAD_ARGUMENTS",
	codeNotImplemented:       "NOT_IMPLEMENTED",
	codeSyntaxError:          "SYNTAX_ERROR",
	codeTimeoutExceeded:      "TIMEOUT_EXCEEDED",
	codeReadonly:             "READONLY",
	codeQueryWasCancelled:    "QUERY_WAS_CANCELLED",
	codeAuthenticationFailed: "AUTHENTICATION_FAILED",
	codeQueryIsTooLarge:      "TOO_LARGE_STRING_SIZE",
	codeCannotDecompress:     "CANNOT_DECOMPRESS",
	codeAccessDenied:         "ACCESS_DENIED",
}

// httpStatusByName follows how ClickHouse's HTTP handler maps exception
// codes to statuses; anything else is 500.
var httpStatusByName = map[string]int{
	"UNKNOWN_USER": 403, "WRONG_PASSWORD": 403, "REQUIRED_PASSWORD": 403,
	"AUTHENTICATION_FAILED": 403, "ACCESS_DENIED": 403, "SET_NON_GRANTED_ROLE": 403,

	"CANNOT_PARSE_TEXT": 400, "CANNOT_PARSE_ESCAPE_SEQUENCE": 400, "CANNOT_PARSE_QUOTED_STRING": 400,
	"CANNOT_PARSE_DATE": 400, "CANNOT_PARSE_DATETIME": 400, "CANNOT_PARSE_NUMBER": 400,
	"CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING": 400, "CANNOT_PARSE_IPV4": 400, "CANNOT_PARSE_IPV6": 400,
	"CANNOT_PARSE_INPUT_ASSERTION_FAILED": 400, "CANNOT_PARSE_UUID": 400, "DUPLICATE_COLUMN": 400,
	"ILLEGAL_COLUMN": 400, "UNKNOWN_ELEMENT_IN_AST": 400, "UNKNOWN_TYPE_OF_AST_NODE": 400,
	"TOO_DEEP_AST": 400, "TOO_BIG_AST": 400, "UNEXPECTED_AST_STRUCTURE": 400, "SYNTAX_ERROR": 400,
	"INCORRECT_DATA": 400, "TYPE_MISMATCH": 400, "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE": 400,
	"BAD_ARGUMENTS": 400, "CANNOT_DECOMPRESS": 400, "UNKNOWN_QUERY_PARAMETER": 400,

	"UNKNOWN_TABLE": 404, "UNKNOWN_FUNCTION": 404, "UNKNOWN_IDENTIFIER": 404, "UNKNOWN_TYPE": 404,
	"UNKNOWN_STORAGE": 404, "UNKNOWN_DATABASE": 404, "UNKNOWN_SETTING": 404,
	"UNKNOWN_DIRECTION_OF_SORTING": 404, "UNKNOWN_AGGREGATE_FUNCTION": 404, "UNKNOWN_FORMAT": 404,
	"UNKNOWN_DATABASE_ENGINE": 404, "UNKNOWN_TYPE_OF_QUERY": 404, "UNKNOWN_ROLE": 404,

	"TOO_LARGE_STRING_SIZE": 413,
	"NOT_IMPLEMENTED":       501,
	"UNSUPPORTED_METHOD":    405,
	"TIMEOUT_EXCEEDED":      500,
}

// serverError is a ClickHouse-style exception raised by the HTTP layer.
type serverError struct {
	code int
	msg  string
}

func (e *serverError) Error() string {
	return fmt.Sprintf("Code: %d. DB::Exception: %s. (%s)", e.code, e.msg, codeNames[e.code])
}

func errorf(code int, format string, args ...any) error {
	return &serverError{code: code, msg: fmt.Sprintf(format, args...)}
}

// describeError returns the code, name, status and body text for err.
func describeError(err error) (code int, name string, status int, text string) {
	var se *serverError
	if errors.As(err, &se) {
		name = codeNames[se.code]
		status = httpStatusByName[name]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		return se.code, name, status, se.Error()
	}
	if e, ok := chdb.IsEngineError(err); ok {
		status = httpStatusByName[e.Name]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		return e.Code, e.Name, status, e.Text
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return describeError(errorf(codeTimeoutExceeded, "Timeout exceeded: %v", err))
	case errors.Is(err, context.Canceled):
		return describeError(errorf(codeQueryWasCancelled, "Query was cancelled: %v", err))
	}
	return 1001, "STD_EXCEPTION", http.StatusInternalServerError,
		fmt.Sprintf("Code: 1001. DB::Exception: %v. (STD_EXCEPTION)", err)
}

func isServerError(err error) bool {
	var se *serverError
	return errors.As(err, &se)
}
