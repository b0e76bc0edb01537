// Package reports answers report queries over ClickHouse for one team at a
// time. Requests enter as HTTP calls whose team comes from the
// authenticated context (teams.FromContext), never from a parameter; every
// query binds the team as a server-side parameter. Results leave as JSON.
package reports
