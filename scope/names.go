package scope

// checkTeamName accepts 1 to 128 letters, digits, '-', '_' and '.',
// starting with a letter or digit.
func checkTeamName(name string) error {
	bad := func(detail string) error {
		return &Error{Op: "check team name", Kind: ErrInvalid, Detail: detail,
			Fix: "use 1 to 128 letters, digits, '-', '_' and '.', starting with a letter or digit"}
	}
	if name == "" || len(name) > 128 {
		return bad("the team name is empty or longer than 128 bytes")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return bad("the team name has a character that is not allowed")
		}
	}
	return nil
}
