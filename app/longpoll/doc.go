// Package longpoll answers the gate's long-poll for a request's decision
// (GET /api/v1/requests/{id}?wait=…) on behalf of app/server.
//
// A waiting gate is woken by Poller.Notify when its request is decided here
// or on another replica. Over HTTP/2, or while Run is not running, a poll
// waits on its handler goroutine; over HTTP/1.x its connection is taken
// from net/http (hijacked) and parked in the hub, costing no goroutine,
// and is answered with a hand-written HTTP/1.1 response. Both paths look at
// a pending request the same way (Poller.next): expire it when overdue,
// else wait until the end of the wait, the request's expiry or the
// periodic re-read, whichever is first.
//
// The package knows nothing of the store, GitHub or identities: the App
// interface gives it the clock, the re-read, the expiry and the answer's body.
package longpoll
