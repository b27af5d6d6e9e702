package i18n

// privacyCatalog holds the strings of the privacy centre, the cookie
// banner, and the mail the privacy policy promises (legal notices, policy
// changes, business transfers, invitations). init merges it into the
// catalog.
var privacyCatalog = map[string]entry{
	"mail.legal.subject": {"A legal request names your %s account", "Een juridisch verzoek noemt uw %s-account"},
	"mail.legal.body": {
		"Hello %s,\n\nOn %s we received a %s from %s (reference %s) that asks for information about your account.\n\nWe will not release information that identifies you before %s. If you want to object, send us a formal objection before then, with a copy of what you filed with the court; an objection stops the release while it is considered.\n\nThis message is required by our privacy policy. It is not promotional.\n",
		"Hallo %s,\n\nOp %s ontvingen wij een %s van %s (kenmerk %s) met een verzoek om gegevens over uw account.\n\nWij geven geen gegevens die u identificeren vrij vóór %s. Wilt u bezwaar maken, stuur ons dan vóór die datum een formeel bezwaar, met een kopie van wat u bij de rechter heeft ingediend; een bezwaar houdt de vrijgave tegen zolang het wordt beoordeeld.\n\nDit bericht is verplicht volgens ons privacybeleid. Het is geen reclame.\n",
	},
	"mail.policy.subject": {"%s has changed its privacy policy", "%s heeft het privacybeleid gewijzigd"},
	"mail.policy.body": {
		"Hello %s,\n\nWe published version %s of our privacy policy. The change matters to how we handle your data, so we tell you before it applies. Read it at %s.\n\nData we already hold stays under the version you accepted, and we start no new use of it without your consent.\n",
		"Hallo %s,\n\nWij hebben versie %s van ons privacybeleid gepubliceerd. De wijziging raakt hoe wij met uw gegevens omgaan, dus wij laten het u weten voordat ze geldt. Lees het op %s.\n\nGegevens die wij al hebben blijven onder de versie die u accepteerde, en wij gebruiken ze niet op een nieuwe manier zonder uw toestemming.\n",
	},
	"mail.transfer.subject": {"Your %s account is moving to a new operator", "Uw %s-account gaat over naar een nieuwe aanbieder"},
	"mail.transfer.body": {
		"Hello %s,\n\n%s\n\nNo personal data moves before %s. If you do not want your data to move, you can export it or close your account before then in your privacy centre: %s.\n",
		"Hallo %s,\n\n%s\n\nGeen persoonsgegevens gaan over vóór %s. Wilt u niet dat uw gegevens meegaan, dan kunt u ze vóór die datum exporteren of uw account sluiten in uw privacycentrum: %s.\n",
	},
	"mail.referral.subject": {"%s invites you to %s", "%s nodigt u uit voor %s"},
	"mail.referral.body": {
		"Hello %s,\n\n%s thinks you might like %s: your own fax number, faxes by email and on the web.\n\nSign up at %s.\n\nThis is the only message you will get about this invitation. We keep your address only to see whether you join, and delete it within %d days.\n",
		"Hallo %s,\n\n%s denkt dat %s iets voor u is: uw eigen faxnummer, faxen per e-mail en via het web.\n\nMeld u aan op %s.\n\nDit is het enige bericht dat u over deze uitnodiging krijgt. Wij bewaren uw adres alleen om te zien of u zich aanmeldt, en verwijderen het binnen %d dagen.\n",
	},
	"mail.announcement.footer": {
		"\n\nThis is a service announcement about your fax service. It is sent to every user and cannot be switched off, except by closing your account.\n",
		"\n\nDit is een servicebericht over uw faxdienst. Het gaat naar iedere gebruiker en kan niet worden uitgezet, behalve door uw account te sluiten.\n",
	},
	"mail.code.subject": {"Your confirmation code", "Uw bevestigingscode"},
	"mail.code.body": {
		"Hello %s,\n\nYour code to confirm %s is %s. It is valid for 15 minutes. If you did not ask for it, ignore this message; nothing happens without the code.\n",
		"Hallo %s,\n\nUw code om %s te bevestigen is %s. Hij is 15 minuten geldig. Heeft u er niet om gevraagd, negeer dit bericht dan; zonder de code gebeurt er niets.\n",
	},
	"privacy.action.export":        {"the export of your data", "de export van uw gegevens"},
	"privacy.action.erase":         {"the deletion of your account", "het verwijderen van uw account"},
	"legal.instrument.subpoena":    {"subpoena", "dagvaarding"},
	"legal.instrument.court_order": {"court order", "rechterlijk bevel"},
	"legal.instrument.warrant":     {"warrant", "bevelschrift"},
	"legal.instrument.network":     {"network provider request", "verzoek van een netwerkaanbieder"},
}

func init() {
	for k, v := range privacyCatalog {
		if _, dup := catalog[k]; dup {
			panic("i18n: key " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
