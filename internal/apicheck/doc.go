// Package apicheck holds the test that keeps the api/ files at the top of
// the module equal to the exported API of each public package, so that
// every API change is a deliberate edit of those files, seen in review.
// After such a change, run:
//
//	go test ./internal/apicheck -update
package apicheck
