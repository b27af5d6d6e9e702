package i18n

// catalog holds every user-facing string: key -> English and Dutch. Keys
// are grouped by where they appear. Format verbs follow fmt; both languages
// of a key take the same arguments in the same order.
var catalog = map[string]entry{
	// Errors shown next to form fields.
	"err.name_required":      {"Please enter your name.", "Vul uw naam in."},
	"err.name_long":          {"Your name is too long (at most 200 characters).", "Uw naam is te lang (hoogstens 200 tekens)."},
	"err.email_required":     {"Please enter your email address.", "Vul uw e-mailadres in."},
	"err.email_invalid":      {"This is not a valid email address, for example name@example.org.", "Dit is geen geldig e-mailadres, bijvoorbeeld naam@voorbeeld.nl."},
	"err.email_taken":        {"An account with this email address exists already. Log in, or reset your password.", "Er bestaat al een account met dit e-mailadres. Log in, of stel uw wachtwoord opnieuw in."},
	"err.password_short":     {"Your password must be at least 10 characters long.", "Uw wachtwoord moet minstens 10 tekens lang zijn."},
	"err.password_long":      {"Your password is too long (at most 1024 characters).", "Uw wachtwoord is te lang (hoogstens 1024 tekens)."},
	"err.password_common":    {"This password is too easy to guess. Choose another one, for example a few unrelated words.", "Dit wachtwoord is te makkelijk te raden. Kies een ander, bijvoorbeeld een paar losse woorden."},
	"err.password_wrong":     {"Your current password is not correct.", "Uw huidige wachtwoord klopt niet."},
	"err.password_mismatch":  {"The two passwords are not the same.", "De twee wachtwoorden zijn niet gelijk."},
	"err.marketing_choice":   {"Please choose yes or no.", "Kies ja of nee."},
	"err.policy_accept":      {"You can only register if you accept the privacy policy.", "U kunt zich alleen registreren als u het privacybeleid aanvaardt."},
	"err.policy_changed":     {"The privacy policy has changed while you were registering. Please read it again and accept the new version.", "Het privacybeleid is gewijzigd terwijl u zich registreerde. Lees het opnieuw en aanvaard de nieuwe versie."},
	"err.choice_invalid":     {"Please choose one of the options.", "Kies een van de mogelijkheden."},
	"err.token_invalid":      {"This link is not valid. Copy the whole link from the email, or ask for a new one.", "Deze link is niet geldig. Kopieer de hele link uit de e-mail, of vraag een nieuwe aan."},
	"err.token_expired":      {"This link has expired. Please ask for a new one.", "Deze link is verlopen. Vraag een nieuwe aan."},
	"err.token_used":         {"This link has been used already. Log in, or ask for a new one.", "Deze link is al gebruikt. Log in, of vraag een nieuwe aan."},
	"err.login_failed":       {"The email address or password is wrong, or there were too many attempts. Check them, or wait a few minutes and try again.", "Het e-mailadres of wachtwoord klopt niet, of er waren te veel pogingen. Controleer ze, of wacht een paar minuten en probeer het opnieuw."},
	"err.ground_required":    {"Give the ground for opening this person's data: a ticket reference or a short reason.", "Geef de grond voor het openen van de gegevens van deze persoon: een ticketnummer of een korte reden."},
	"err.not_allowed":        {"Your role does not allow this.", "Uw rol staat dit niet toe."},
	"err.form_invalid":       {"Please correct the fields marked below.", "Verbeter de velden die hieronder zijn gemarkeerd."},
	"err.server":             {"Something went wrong on our side. Please try again in a moment.", "Er ging bij ons iets mis. Probeer het zo opnieuw."},
	"err.not_found":          {"This page does not exist.", "Deze pagina bestaat niet."},
	"err.login_required":     {"Please log in to see this page.", "Log in om deze pagina te zien."},
	"err.request_too_large":  {"The form you sent is too large.", "Het verstuurde formulier is te groot."},
	"err.cross_origin":       {"This form was sent from another site and has been refused.", "Dit formulier kwam van een andere site en is geweigerd."},
	"err.method_not_allowed": {"This page cannot be used that way.", "Deze pagina kan zo niet worden gebruikt."},

	// Emails.
	"mail.verify.subject": {"Confirm your email address for %s", "Bevestig uw e-mailadres voor %s"},
	"mail.verify.body": {
		"Hello %s,\n\nThank you for registering with %s. Please confirm your email address by opening this link:\n\n%s\n\nThe link works once and expires in %d hours. If you did not register, you can ignore this email.\n",
		"Hallo %s,\n\nBedankt voor uw registratie bij %s. Bevestig uw e-mailadres door deze link te openen:\n\n%s\n\nDe link werkt één keer en verloopt over %d uur. Heeft u zich niet geregistreerd, dan kunt u deze e-mail negeren.\n",
	},
	"mail.reset.subject": {"Reset your password for %s", "Stel uw wachtwoord opnieuw in voor %s"},
	"mail.reset.body": {
		"Hello %s,\n\nSomeone, hopefully you, asked to reset the password of your %s account. Choose a new password here:\n\n%s\n\nThe link works once and expires in %d hour(s). If you did not ask for this, ignore this email: your password stays as it is.\n",
		"Hallo %s,\n\nIemand, hopelijk u, heeft gevraagd het wachtwoord van uw %s-account opnieuw in te stellen. Kies hier een nieuw wachtwoord:\n\n%s\n\nDe link werkt één keer en verloopt over %d uur. Heeft u dit niet gevraagd, negeer deze e-mail dan: uw wachtwoord blijft zoals het is.\n",
	},
	"mail.welcome.subject": {"Welcome to %s", "Welkom bij %s"},
	"mail.welcome.body": {
		"Hello %s,\n\nWelcome to %s. Your email address is confirmed and your account is ready.\n\nYour fax number: %s\nYour login name: %s\nYour account number: %s\n\nYou log in with your email address and the password you chose; we never send passwords by email. To send a fax by email, write to the fax number at %s.\n",
		"Hallo %s,\n\nWelkom bij %s. Uw e-mailadres is bevestigd en uw account is klaar.\n\nUw faxnummer: %s\nUw inlognaam: %s\nUw accountnummer: %s\n\nU logt in met uw e-mailadres en het wachtwoord dat u koos; wij sturen nooit wachtwoorden per e-mail. Om een fax per e-mail te versturen, schrijft u naar het faxnummer op %s.\n",
	},
	"mail.welcome.no_number": {"(being assigned; you will find it on your account page)", "(wordt toegewezen; u vindt het op uw accountpagina)"},
}
