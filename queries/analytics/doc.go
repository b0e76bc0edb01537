// Package analytics is work in progress.
package analytics
