package hosted

// SocialProblemData is a social sign-in that could not finish: why, in
// words for the person, and what they can do instead.
type SocialProblemData struct {
	Reason   string // for tests and styling: state-mismatch, email-not-verified, signup-closed, …
	Status   int
	Title    string
	Message  string
	Provider string // the provider's name, when known
	Email    string // the address the provider gave, when it matters
	Help     string // a second paragraph: what to do next
	Action   string // where the button leads
	Label    string
}

// SocialConfirmData is the page that asks for the code mailed to an
// existing account's address before a social sign-in is linked to it.
type SocialConfirmData struct {
	Email     string // masked: "a***@example.com"
	Provider  string // the provider's name
	Code      string
	CodeError string
}

func (d SocialConfirmData) provider() string {
	if d.Provider == "" {
		return "your provider"
	}
	return d.Provider
}
