package privacy

// Processor is an outside party that handles personal data for the
// operator (T1), or a transfer between the operator's own entities in
// different jurisdictions (TR1).
type Processor struct {
	Name      string
	Role      string // what it does for the service
	Data      string // what it gets: only what the task needs
	Location  string // where it processes the data
	Transfer  bool   // the data leaves the operator's jurisdiction
	Basis     string // legal basis of the transfer (standard contractual clauses, adequacy decision)
	MayReuse  bool   // always false: processors may not keep or reuse data (T1)
	Condition string // when it is used at all
}

// Processors is the register the privacy page shows. A self-hosted
// Faxhaven uses none by default: each entry is used only when the
// operator configures it, and the operator lists its own in configuration.
var Processors = []Processor{
	{Name: "SMTP relay (if configured)", Role: "delivers outbound email", Data: "recipient address and the message",
		Location: "as configured by the operator", Basis: "processing agreement (GDPR art. 28)", Condition: "--smtp-relay-host is set"},
	{Name: "SIP trunk provider (if configured)", Role: "carries fax calls", Data: "calling and called numbers, the fax signal",
		Location: "as configured by the operator", Basis: "processing agreement (GDPR art. 28); telecommunications law", Condition: "a SIP trunk is configured"},
	{Name: "Object storage (if configured)", Role: "stores encrypted fax content", Data: "ciphertext only; keys stay with the service",
		Location: "as configured by the operator", Basis: "processing agreement (GDPR art. 28)", Condition: "S3-compatible storage is configured"},
	{Name: "Payment processor (not built in)", Role: "would take card payments", Data: "card data goes straight to it; the service keeps only a token",
		Location: "none: Faxhaven ships no payment integration", Basis: "processing agreement (GDPR art. 28)", Condition: "never in this release"},
}

// Transfers lists transfers between the operator's own entities (TR1).
// A self-hosted installation has one entity; an operator with several
// declares them here with their basis.
var Transfers = []Processor{}
