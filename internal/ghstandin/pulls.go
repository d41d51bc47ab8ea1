package ghstandin

import (
	"net/http"
	"strconv"
)

// getPull is GET /repos/{owner}/{repo}/pulls/{pull_number}: the App reads
// a pull request's head commit and author from here, never from the
// request body a workflow sends.
func (s *Server) getPull(r *http.Request, _ []byte, a auth) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoFor(r, a)
	if !ok {
		return notFound
	}
	n, err := strconv.Atoi(r.PathValue("pull_number"))
	if err != nil {
		return notFound
	}
	p, ok := rp.Pulls[n]
	if !ok {
		return notFound
	}
	return jsonReply(http.StatusOK, s.pullJSON(rp, p))
}
