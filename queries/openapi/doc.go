// Package openapi is the OpenAPI 3.1 description of Omnistream's HTTP
// interface, and the tools that keep it honest.
//
// The document is built in Go (Spec): operations are written out by hand
// (parameters with their types, enums and limits, request bodies, error
// answers, security), response schemas are derived by reflection from the
// Go types the handlers encode (json tags decide names; a pointer is
// nullable; omitempty makes a property optional), with enums and
// descriptions added where the type alone cannot say. Nothing enters the
// package at run time except the ServeMux of the process: Handler serves
// GET /v1/openapi.json restricted to the routes that mux actually serves,
// so a process started with some roles only describes what it answers.
//
// Patterns lists the routes registered on a ServeMux, and PathOf maps a
// mux pattern to its OpenAPI method and path: the API contract test uses
// them to check that every served route is documented and every
// documented route is served. Validate checks a JSON value against a
// schema of the document (the subset of JSON Schema the document uses:
// type, required, properties, additionalProperties, items, enum, anyOf,
// format date and date-time, minimum), so responses can be checked against
// the document as it is served.
package openapi
