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
