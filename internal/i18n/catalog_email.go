package i18n

// emailCatalog holds the strings of email to fax and fax to email: the
// confirmations a sender gets, the notice an owner gets when mail in
// their name is refused, and the settings pages. init merges it into the
// catalog.
var emailCatalog = map[string]entry{
	"mail.email_refused.subject": {"A message from %s was not faxed", "Een bericht van %s is niet gefaxt"},
	"mail.email_refused.body": {
		"Hello %s,\n\nWe received a message to fax in the name of %s, one of your sending addresses, and did not send it: %s.\n\nIf you sent it, check that your mail provider signs your mail (DKIM) or that your domain's SPF record names the server you sent it through, and that the subject carries your secret if you set one. If you did not send it, someone may be trying to use your account; nothing was faxed and nothing was sent back to that address.\n\n%s\n",
		"Hallo %s,\n\nWe ontvingen een bericht om te faxen uit naam van %s, een van uw verzendadressen, en hebben het niet verstuurd: %s.\n\nHeeft u het verstuurd, controleer dan of uw mailprovider uw mail ondertekent (DKIM) of dat het SPF-record van uw domein de server noemt waarlangs u het verstuurde, en dat het onderwerp uw geheim bevat als u er een heeft ingesteld. Heeft u het niet verstuurd, dan probeert iemand misschien uw account te gebruiken; er is niets gefaxt en niets naar dat adres teruggestuurd.\n\n%s\n",
	},
	"mail.email_fax.delivered.subject": {"Your fax to %s was delivered", "Uw fax aan %s is afgeleverd"},
	"mail.email_fax.delivered.body": {
		"Your fax to %s was delivered: the receiver confirmed %d pages.\n\nThe first page is attached as it was sent.\n\n%s\n",
		"Uw fax aan %s is afgeleverd: de ontvanger bevestigde %d pagina's.\n\nDe eerste pagina zit in de bijlage zoals hij verstuurd is.\n\n%s\n",
	},
	"mail.email_fax.failed.subject": {"Your fax to %s could not be delivered", "Uw fax aan %s kon niet worden afgeleverd"},
	"mail.email_fax.failed.body": {
		"Your fax to %s could not be delivered: %s.\n\nAttempts: %d. We will not try again. The first page is attached as it would have been sent.\n\n%s\n",
		"Uw fax aan %s kon niet worden afgeleverd: %s.\n\nPogingen: %d. We proberen het niet opnieuw. De eerste pagina zit in de bijlage zoals hij verstuurd zou zijn.\n\n%s\n",
	},
	"mail.email_fax.not_sent.body": {
		"Your message to fax to %s was not sent: %s\n\n%s\n",
		"Uw bericht om te faxen aan %s is niet verstuurd: %s\n\n%s\n",
	},

	"mail.fax.notice_body": {
		"You have received a fax on your number %s (%d pages, %s).\n\nFor your privacy this email does not carry it. Read it in your inbox: %s\n",
		"U heeft een fax ontvangen op uw nummer %s (%d pagina's, %s).\n\nVoor uw privacy zit hij niet in deze e-mail. Lees hem in uw inbox: %s\n",
	},

	// The settings page.
	"email.page.title":      {"Email and fax", "E-mail en fax"},
	"email.page.heading":    {"Faxes by email", "Faxen per e-mail"},
	"email.in.heading":      {"Send faxes by email", "Faxen versturen per e-mail"},
	"email.in.how":          {"Write to the recipient's fax number at %[2]s, for example +31201234567@%[2]s, from one of the addresses below. Attachments become the pages; the subject goes on the cover page. Your own number is %[1]s.", "Schrijf naar het faxnummer van de ontvanger bij %[2]s, bijvoorbeeld +31201234567@%[2]s, vanaf een van de adressen hieronder. Bijlagen worden de pagina's; het onderwerp komt op het voorblad. Uw eigen nummer is %[1]s."},
	"email.senders.heading": {"Addresses you send from", "Adressen waarvan u verstuurt"},
	"email.senders.none":    {"No address yet: mail to fax is refused until you add one.", "Nog geen adres: mail om te faxen wordt geweigerd tot u er een toevoegt."},
	"email.senders.add":     {"Add an address", "Adres toevoegen"},
	"email.senders.hint":    {"Mail from it is faxed only when its domain vouches for it (SPF or DKIM, as DMARC checks).", "Mail ervan wordt alleen gefaxt als het domein ervoor instaat (SPF of DKIM, zoals DMARC controleert)."},
	"email.add":             {"Add", "Toevoegen"},
	"email.remove":          {"Remove", "Verwijderen"},
	"email.note.legend":     {"The text of the message", "De tekst van het bericht"},
	"email.note.auto":       {"goes on the cover page when there is any (recommended)", "komt op het voorblad als die er is (aanbevolen)"},
	"email.note.always":     {"always goes on a cover page", "komt altijd op een voorblad"},
	"email.note.never":      {"is never faxed; only the attachments are", "wordt nooit gefaxt; alleen de bijlagen"},
	"email.token.legend":    {"Secret in the subject", "Geheim in het onderwerp"},
	"email.token.on":        {"Mail to fax must carry your secret in its subject.", "Mail om te faxen moet uw geheim in het onderwerp hebben."},
	"email.token.off":       {"No secret is asked for.", "Er wordt geen geheim gevraagd."},
	"email.token.keep":      {"Leave as it is", "Laten zoals het is"},
	"email.token.make":      {"Make a new secret", "Nieuw geheim maken"},
	"email.token.clear":     {"Ask for no secret", "Geen geheim vragen"},
	"email.token.new":       {"Your new secret is below. Copy it now: it is not shown again. Put it anywhere in the subject of mail to fax.", "Uw nieuwe geheim staat hieronder. Kopieer het nu: het wordt niet opnieuw getoond. Zet het ergens in het onderwerp van mail om te faxen."},
	"email.out.heading":     {"Receive faxes by email", "Faxen ontvangen per e-mail"},
	"email.out.none":        {"Received faxes go to your login address as a PDF. Add addresses to send them elsewhere or in another form.", "Ontvangen faxen gaan als PDF naar uw inlogadres. Voeg adressen toe om ze ergens anders of in een andere vorm te ontvangen."},
	"email.field.number":    {"Your number", "Uw nummer"},
	"email.field.address":   {"Email address", "E-mailadres"},
	"email.field.format":    {"Form", "Vorm"},
	"email.format.pdf":      {"PDF attached", "PDF als bijlage"},
	"email.format.tiff":     {"TIFF attached", "TIFF als bijlage"},
	"email.format.notice":   {"Notice only", "Alleen een melding"},
	"email.format.hint":     {"A notice carries no content, only a link to your inbox.", "Een melding bevat geen inhoud, alleen een link naar uw inbox."},
	"email.failing":         {"Mail to this address bounced on %s (%s). Check it, then add it again.", "Mail naar dit adres kwam terug op %s (%s). Controleer het en voeg het opnieuw toe."},
	"email.flash.saved":     {"Saved.", "Opgeslagen."},

	// The administrators' DNS page.
	"email.dns.title":   {"Mail DNS records", "DNS-records voor mail"},
	"email.dns.heading": {"DNS records for mail", "DNS-records voor mail"},
	"email.dns.intro":   {"Outbound mail is DKIM-signed with a key per brand. Publish each record below in the brand's mail domain, or receivers treat the mail as unsigned.", "Uitgaande mail wordt met DKIM ondertekend met een sleutel per merk. Publiceer elk record hieronder in het maildomein van het merk, anders behandelen ontvangers de mail als niet ondertekend."},
	"email.dns.dkim":    {"DKIM record", "DKIM-record"},
	"email.dns.mx":      {"Email to fax", "E-mail naar fax"},
	"email.dns.mx_hint": {"Point the MX record of %s at this service's SMTP server.", "Laat het MX-record van %s naar de SMTP-server van deze dienst wijzen."},

	"email.reason.busy":            {"the line was busy every time", "de lijn was steeds in gesprek"},
	"email.reason.no_answer":       {"nobody answered", "er werd niet opgenomen"},
	"email.reason.rejected":        {"the receiver refused the call", "de ontvanger weigerde het gesprek"},
	"email.reason.no_such_number":  {"the number does not exist", "het nummer bestaat niet"},
	"email.reason.not_fax":         {"no fax machine answered the call", "er nam geen faxapparaat op"},
	"email.reason.trunk_down":      {"our telephone line could not place the call", "onze telefoonlijn kon het gesprek niet opzetten"},
	"email.reason.failed":          {"the transmission failed", "de verzending mislukte"},
	"email.reason.content_missing": {"the fax pages were missing", "de faxpagina's ontbraken"},
	"email.reason.content_damaged": {"the fax pages were damaged", "de faxpagina's waren beschadigd"},

	"email.err.no_recipient":      {"The message names no fax number. Address it to the number followed by @ and the fax domain.", "Het bericht noemt geen faxnummer. Adresseer het aan het nummer gevolgd door @ en het faxdomein."},
	"email.err.unknown_sender":    {"The sender is not registered to send faxes by email. Add the address in the portal under email to fax.", "De afzender mag geen faxen per e-mail versturen. Voeg het adres toe in het portaal onder e-mail naar fax."},
	"email.err.not_authenticated": {"The message could not be verified as coming from its sender.", "Niet te controleren dat het bericht van de afzender komt."},
	"email.err.number":            {"The fax number %s is not valid.", "Het faxnummer %s is niet geldig."},
	"email.err.nothing_to_send":   {"The message has no attachment and no text to fax.", "Het bericht heeft geen bijlage en geen tekst om te faxen."},
	"email.err.address":           {"%s is not an email address.", "%s is geen e-mailadres."},
	"email.err.format":            {"Choose PDF, TIFF or notice only.", "Kies PDF, TIFF of alleen een melding."},
	"email.err.not_your_number":   {"%s is not one of your numbers.", "%s is niet een van uw nummers."},
	"email.err.sender_taken":      {"%s is registered by another account.", "%s is door een ander account geregistreerd."},
	"email.err.body_note":         {"Choose when the message text becomes the cover note.", "Kies wanneer de tekst van het bericht de notitie op het voorblad wordt."},
	"email.err.rate_limited":      {"Your account sent %d messages to fax in the last hour, the most it may. Try again later.", "Uw account verstuurde het afgelopen uur %d berichten om te faxen, het maximum. Probeer het later opnieuw."},
}

func init() {
	for k, v := range emailCatalog {
		if _, dup := catalog[k]; dup {
			panic("i18n: key " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
