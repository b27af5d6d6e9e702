package i18n

// faxCatalog holds the strings of sending and receiving faxes. It is kept
// apart from the account strings so each feature's texts stay together;
// init merges it into the catalog.
var faxCatalog = map[string]entry{
	"fax.sender_unknown": {"an unknown number", "een onbekend nummer"},
	"mail.fax.subject":   {"Fax from %s (%d pages)", "Fax van %s (%d pagina's)"},
	"mail.fax.body": {
		"Hello %s,\n\nYou have received a fax.\n\nFrom: %s\nSender's fax ID: %s\nTo your number: %s\nPages: %d\nReceived: %s\n\nThe fax is attached as a PDF. You can also read it in your inbox at %s.\n",
		"Hallo %s,\n\nU heeft een fax ontvangen.\n\nVan: %s\nFax-ID van de afzender: %s\nOp uw nummer: %s\nPagina's: %d\nOntvangen: %s\n\nDe fax zit als PDF in de bijlage. U kunt hem ook lezen in uw inbox bij %s.\n",
	},

	// Navigation and pages.
	"nav.inbox":            {"Inbox", "Inbox"},
	"nav.sent":             {"Sent", "Verzonden"},
	"nav.send":             {"Send a fax", "Fax versturen"},
	"fax.inbox.heading":    {"Received faxes", "Ontvangen faxen"},
	"fax.sent.heading":     {"Sent faxes", "Verzonden faxen"},
	"fax.inbox.empty":      {"No faxes received yet. Share your fax number to receive one.", "Nog geen faxen ontvangen. Geef uw faxnummer door om er een te ontvangen."},
	"fax.sent.empty":       {"You have not sent a fax yet.", "U heeft nog geen fax verstuurd."},
	"fax.older":            {"Older faxes", "Oudere faxen"},
	"fax.open":             {"Open", "Openen"},
	"fax.field.when":       {"Date", "Datum"},
	"fax.field.from":       {"From", "Van"},
	"fax.field.to":         {"To", "Aan"},
	"fax.field.remote_id":  {"Fax ID", "Fax-ID"},
	"fax.field.pages":      {"Pages", "Pagina's"},
	"fax.field.status":     {"Status", "Status"},
	"fax.field.reason":     {"Reason", "Reden"},
	"fax.field.to_your":    {"To your number", "Op uw nummer"},
	"fax.field.from_your":  {"From your number", "Vanaf uw nummer"},
	"fax.field.attempts":   {"Attempts", "Pogingen"},
	"fax.field.to_number":  {"Recipient's fax number", "Faxnummer van de ontvanger"},
	"fax.field.files":      {"Documents", "Documenten"},
	"fax.field.cover":      {"Cover page", "Voorblad"},
	"fax.field.cover_to":   {"Recipient's name (optional)", "Naam van de ontvanger (optioneel)"},
	"fax.field.subject":    {"Subject (optional)", "Onderwerp (optioneel)"},
	"fax.field.note":       {"Note on the cover page (optional)", "Notitie op het voorblad (optioneel)"},
	"fax.field.resolution": {"Quality", "Kwaliteit"},
	"fax.new.title":        {"Send a fax", "Fax versturen"},
	"fax.new.heading":      {"Send a fax", "Een fax versturen"},
	"fax.new.to_hint":      {"With the country code, for example +31 20 123 4567.", "Met de landcode, bijvoorbeeld +31 20 123 4567."},
	"fax.new.files_hint":   {"PDF, images (PNG, JPEG, GIF, BMP, TIFF) or plain text, together at most %d MB. They are sent in the order you choose them.", "PDF, afbeeldingen (PNG, JPEG, GIF, BMP, TIFF) of platte tekst, samen hoogstens %d MB. Ze worden verstuurd in de volgorde waarin u ze kiest."},
	"fax.new.cover":        {"Add a cover page", "Voorblad toevoegen"},
	"fax.new.submit":       {"Send fax", "Fax versturen"},
	"fax.res.fine":         {"Fine (204 x 196 dpi, recommended)", "Fijn (204 x 196 dpi, aanbevolen)"},
	"fax.res.standard":     {"Standard (204 x 98 dpi, fastest)", "Standaard (204 x 98 dpi, snelst)"},
	"fax.res.superfine":    {"Superfine (204 x 391 dpi, small print)", "Superfijn (204 x 391 dpi, kleine letters)"},
	"fax.view.title":       {"Fax", "Fax"},
	"fax.view.heading_in":  {"Received fax", "Ontvangen fax"},
	"fax.view.heading_out": {"Sent fax", "Verzonden fax"},
	"fax.view.refresh":     {"Refresh to see the latest status.", "Vernieuw de pagina voor de laatste status."},
	"fax.view.open_pdf":    {"Open PDF", "PDF openen"},
	"fax.view.download":    {"Download", "Downloaden"},
	"fax.view.delete":      {"Delete", "Verwijderen"},
	"fax.flash.queued":     {"Your fax is queued and will be sent shortly.", "Uw fax staat klaar en wordt zo verstuurd."},
	"fax.flash.deleted":    {"The fax has been deleted.", "De fax is verwijderd."},

	// Statuses and reasons.
	"fax.status.queued":          {"Queued", "In de wachtrij"},
	"fax.status.sending":         {"Sending", "Wordt verstuurd"},
	"fax.status.delivered":       {"Delivered", "Afgeleverd"},
	"fax.status.failed":          {"Failed", "Mislukt"},
	"fax.status.received":        {"Received", "Ontvangen"},
	"fax.reason.busy":            {"The line was busy.", "De lijn was bezet."},
	"fax.reason.no_answer":       {"Nobody answered.", "Er werd niet opgenomen."},
	"fax.reason.rejected":        {"The call was refused.", "De oproep werd geweigerd."},
	"fax.reason.no_such_number":  {"The number does not exist.", "Het nummer bestaat niet."},
	"fax.reason.not_fax":         {"The number did not answer as a fax machine.", "Het nummer nam niet op als faxapparaat."},
	"fax.reason.trunk_down":      {"Our connection to the telephone network was down.", "Onze verbinding met het telefoonnet was weg."},
	"fax.reason.failed":          {"The fax could not be transmitted completely.", "De fax kon niet volledig worden overgebracht."},
	"fax.reason.content_missing": {"The fax pages were missing.", "De pagina's van de fax ontbraken."},
	"fax.reason.content_damaged": {"The fax pages could not be read.", "De pagina's van de fax konden niet worden gelezen."},

	// Errors of a send request; the English text is also in faxes.Error.
	"fax.err.number_empty":        {"Enter the recipient's fax number.", "Vul het faxnummer van de ontvanger in."},
	"fax.err.number_characters":   {"A fax number may contain only digits, spaces, dashes, dots, brackets and a leading +.", "Een faxnummer mag alleen cijfers, spaties, streepjes, punten, haakjes en een + aan het begin bevatten."},
	"fax.err.number_no_country":   {"Write the number with its country code, for example +31 20 123 4567.", "Schrijf het nummer met de landcode, bijvoorbeeld +31 20 123 4567."},
	"fax.err.number_country_code": {"The number does not start with a valid country code, for example +31 for the Netherlands.", "Het nummer begint niet met een geldige landcode, bijvoorbeeld +31 voor Nederland."},
	"fax.err.number_length":       {"An international fax number has 8 to 15 digits after the +, country code included.", "Een internationaal faxnummer heeft 8 tot 15 cijfers na de +, landcode inbegrepen."},
	"fax.err.nothing_to_send":     {"Add a document or write a cover note.", "Voeg een document toe of schrijf een notitie voor het voorblad."},
	"fax.err.note_too_long":       {"The cover note is longer than %d characters.", "De notitie is langer dan %d tekens."},
	"fax.err.file_empty":          {"The file %q is empty.", "Het bestand %q is leeg."},
	"fax.err.upload_too_large":    {"The files add up to %d MB; the limit is %d MB.", "De bestanden zijn samen %d MB; de grens is %d MB."},
	"fax.err.no_number":           {"Your account has no fax number yet. Confirm your email address first.", "Uw account heeft nog geen faxnummer. Bevestig eerst uw e-mailadres."},
	"fax.err.file_type":           {"The file %q is not a type we can fax. Send PDF, PNG, JPEG, GIF, BMP, TIFF or plain text.", "Het bestand %q is geen soort die wij kunnen faxen. Stuur PDF, PNG, JPEG, GIF, BMP, TIFF of platte tekst."},
	"fax.err.file_unreadable":     {"The file %q could not be read: %s", "Het bestand %q kon niet worden gelezen: %s"},
	"fax.err.too_many_pages":      {"The fax has more than %d pages.", "De fax heeft meer dan %d pagina's."},
	"fax.err.busy":                {"The fax is still being sent. You can delete it when it has finished.", "De fax wordt nog verzonden. U kunt hem verwijderen als hij klaar is."},
	"fax.err.resolution":          {"Choose standard, fine or superfine resolution.", "Kies standaard, fijne of superfijne resolutie."},
	"fax.err.form_too_large":      {"The upload is larger than the limit of %d MB.", "De upload is groter dan de grens van %d MB."},
}

func init() {
	for k, v := range faxCatalog {
		if _, dup := catalog[k]; dup {
			panic("i18n: key " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
