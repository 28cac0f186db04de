package desk

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
)

// Lang is the language of a page: "fr" or "en".
type Lang string

// Languages of the desk.
const (
	French  Lang = "fr"
	English Lang = "en"
)

const langCookie = "docflow_lang"

// requestLang is the user's choice (cookie), else the first of French or
// English in Accept-Language, else English.
func requestLang(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "fr" || c.Value == "en") {
		return Lang(c.Value)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return French
		case strings.HasPrefix(tag, "en"):
			return English
		}
	}
	return English
}

// T returns the message of key in the language (the key itself when
// missing, so that a gap shows instead of breaking the page).
func (l Lang) T(key string) string {
	if m, ok := messages[key]; ok {
		if l == French {
			return m[0]
		}
		return m[1]
	}
	return key
}

// F formats the message of key with args.
func (l Lang) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Other is the language the switch offers.
func (l Lang) Other() Lang {
	if l == French {
		return English
	}
	return French
}

// Field is the label of a spec field.
func (l Lang) Field(name string) string { return l.T("field." + name) }

// Code is the short label of a rule code.
func (l Lang) Code(code string) string {
	if _, ok := messages["code."+code]; ok {
		return l.T("code." + code)
	}
	return code
}

// Message is an issue's message in the language.
func (l Lang) Message(i pipeline.Issue) string {
	if l == French && i.MessageFR != "" {
		return i.MessageFR
	}
	return i.Message
}

// Status is a document status's label.
func (l Lang) Status(s pipeline.Status) string { return l.T("status." + string(s)) }

// Age says how long ago t was, briefly.
func (l Lang) Age(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return l.T("age.now")
	case d < time.Hour:
		return l.F("age.min", int(d.Minutes()))
	case d < 48*time.Hour:
		return l.F("age.hours", int(d.Hours()))
	}
	return l.F("age.days", int(d.Hours()/24))
}

// Date writes a day as the language does.
func (l Lang) Date(t time.Time) string {
	if l == French {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

// Time writes a moment as the language does, in UTC.
func (l Lang) Time(t time.Time) string {
	if l == French {
		return t.UTC().Format("02/01/2006 15:04 UTC")
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// messages holds each text as {French, English}.
var messages = map[string][2]string{
	"app":                                    {"docflow — bureau de revue", "docflow — review desk"},
	"nav.queue":                              {"File de revue", "Review queue"},
	"nav.upload":                             {"Déposer des documents", "Upload documents"},
	"nav.documents":                          {"Documents", "Documents"},
	"nav.signout":                            {"Se déconnecter", "Sign out"},
	"role.uploader":                          {"dépôt", "uploader"},
	"role.reviewer":                          {"relecture", "reviewer"},
	"role.admin":                             {"administration", "admin"},
	"role.auditor":                           {"audit", "auditor"},
	"lang.switch":                            {"English", "Français"},
	"signin.title":                           {"Connexion", "Sign in"},
	"signin.email":                           {"Adresse e-mail", "Email address"},
	"signin.password":                        {"Mot de passe", "Password"},
	"signin.submit":                          {"Se connecter", "Sign in"},
	"signin.failed":                          {"Adresse e-mail ou mot de passe incorrect.", "Wrong email address or password."},
	"signin.several":                         {"Cette adresse appartient à plusieurs agences : utilisez le lien de connexion de votre agence.", "This address belongs to several agencies: use your agency's sign-in link."},
	"signin.expired":                         {"Le formulaire a expiré ; réessayez.", "The form expired; please try again."},
	"signin.or":                              {"ou", "or"},
	"signin.sso":                             {"Se connecter avec l'authentification unique (SSO)", "Sign in with SSO"},
	"sso.unavailable":                        {"L'authentification unique est indisponible pour le moment ; réessayez plus tard.", "Single sign-on is unavailable right now; please try again later."},
	"sso.expired":                            {"La connexion a expiré ou a été commencée ailleurs ; réessayez.", "The sign-in expired or was started elsewhere; please try again."},
	"sso.provider":                           {"Le fournisseur d'identité a refusé la connexion (%[1]s).", "The identity provider refused the sign-in (%[1]s)."},
	"sso.failed":                             {"La réponse du fournisseur d'identité n'a pas pu être vérifiée ; réessayez.", "The identity provider's answer could not be verified; please try again."},
	"sso.no_tenant":                          {"Votre compte chez le fournisseur d'identité n'indique pas d'agence (attribut %[1]s) : demandez à votre administrateur.", "Your identity provider account names no agency (claim %[1]s): ask your administrator."},
	"sso.several_tenants":                    {"Votre compte chez le fournisseur d'identité indique plusieurs agences (attribut %[1]s : %[2]s) : demandez à votre administrateur.", "Your identity provider account names several agencies (claim %[1]s: %[2]s): ask your administrator."},
	"sso.tenant_not_allowed":                 {"L'agence %[2]q (attribut %[1]s) n'est pas ouverte à ce fournisseur d'identité.", "The agency %[2]q (claim %[1]s) is not open to this identity provider."},
	"sso.unknown_tenant":                     {"L'agence %[1]q n'existe pas dans docflow : demandez à votre administrateur.", "The agency %[1]q does not exist in docflow: ask your administrator."},
	"sso.no_role":                            {"Votre compte chez le fournisseur d'identité n'indique pas de rôle (attribut %[1]s) : demandez à votre administrateur.", "Your identity provider account gives no role (claim %[1]s): ask your administrator."},
	"sso.unknown_role":                       {"Aucun rôle docflow ne correspond à %[2]q (attribut %[1]s) : demandez à votre administrateur.", "No docflow role matches %[2]q (claim %[1]s): ask your administrator."},
	"sso.several_roles":                      {"Votre compte donne plusieurs rôles docflow (attribut %[1]s : %[2]s) ; il en faut un seul.", "Your account gives several docflow roles (claim %[1]s: %[2]s); it needs exactly one."},
	"sso.no_email":                           {"Votre compte chez le fournisseur d'identité n'a pas d'adresse e-mail valide (attribut %[1]s).", "Your identity provider account has no valid email address (claim %[1]s)."},
	"sso.disabled":                           {"Votre compte docflow est désactivé.", "Your docflow account is disabled."},
	"sso.conflict":                           {"Cette adresse e-mail appartient déjà à un autre compte de votre agence : demandez à votre administrateur.", "This email address already belongs to another account of your agency: ask your administrator."},
	"queue.title":                            {"File de revue", "Review queue"},
	"queue.type":                             {"Type", "Type"},
	"queue.code":                             {"Règle", "Rule"},
	"queue.age":                              {"Ancienneté", "Age"},
	"queue.assignee":                         {"Attribuée à", "Assignee"},
	"queue.filter":                           {"Filtrer", "Filter"},
	"queue.any":                              {"Tous", "All"},
	"queue.me":                               {"Moi", "Me"},
	"queue.unclaimed":                        {"Non attribuées", "Unclaimed"},
	"queue.older1h":                          {"Plus d'une heure", "Older than an hour"},
	"queue.older24h":                         {"Plus d'un jour", "Older than a day"},
	"queue.older72h":                         {"Plus de 3 jours", "Older than 3 days"},
	"queue.document":                         {"Document", "Document"},
	"queue.reasons":                          {"Motifs", "Reasons"},
	"queue.empty":                            {"Rien à revoir. ", "Nothing to review."},
	"queue.nobody":                           {"—", "—"},
	"queue.open":                             {"Ouvrir", "Open"},
	"action.claim":                           {"Prendre", "Claim"},
	"action.release":                         {"Rendre", "Release"},
	"action.approve":                         {"Approuver", "Approve"},
	"action.reject":                          {"Rejeter", "Reject"},
	"action.addrow":                          {"Ajouter un jour", "Add a day"},
	"action.remove":                          {"Retirer", "Remove"},
	"task.title":                             {"Revue", "Review"},
	"task.claimedby":                         {"Prise par %s", "Claimed by %s"},
	"task.claimedbyme":                       {"Vous avez pris cette tâche.", "You claimed this task."},
	"task.claimedother":                      {"Cette tâche est prise par %s : vous ne pouvez pas la traiter.", "This task is claimed by %s: you cannot work on it."},
	"task.unclaimed":                         {"Personne n'a pris cette tâche.", "No one has claimed this task."},
	"task.status":                            {"Tâche : %s", "Task: %s"},
	"task.approvals":                         {"Approbations : %d sur %d", "Approvals: %d of %d"},
	"task.fields":                            {"Champs", "Fields"},
	"task.findings":                          {"Constats", "Findings"},
	"task.comment":                           {"Commentaire (facultatif)", "Comment (optional)"},
	"task.rejectreason":                      {"Motif du rejet (obligatoire)", "Reason for rejecting (required)"},
	"task.history":                           {"Historique", "History"},
	"task.contract":                          {"Contrat facturé", "Contract billed against"},
	"task.nocontract":                        {"Aucun contrat validé n'a ce numéro.", "No committed contract has this number."},
	"task.source":                            {"Source", "Source"},
	"task.sourcepage":                        {"p. %d, l. %d", "p. %d, l. %d"},
	"task.sourceof":                          {"lu dans « %s »", "read from “%s”"},
	"task.confidence":                        {"confiance %d %%", "confidence %d%%"},
	"task.readonly":                          {"Lecture seule", "Read-only"},
	"task.entries":                           {"Jours travaillés", "Days worked"},
	"task.date":                              {"Date", "Date"},
	"task.hours":                             {"Heures", "Hours"},
	"task.doctype":                           {"Type de document", "Document type"},
	"task.text":                              {"Texte lu", "Read text"},
	"task.nopreview":                         {"Aperçu indisponible pour ce format.", "No preview for this format."},
	"task.page":                              {"Page %d", "Page %d"},
	"task.decided":                           {"Cette tâche est close (%s).", "This task is closed (%s)."},
	"task.claimfirst":                        {"Prenez la tâche pour la traiter.", "Claim the task to work on it."},
	"task.worker":                            {"Salarié", "Worker"},
	"task.period":                            {"Du %s au %s", "From %s to %s"},
	"help.title":                             {"Raccourcis clavier", "Keyboard shortcuts"},
	"help.a":                                 {"approuver", "approve"},
	"help.r":                                 {"rejeter (saisir le motif)", "reject (type the reason)"},
	"help.jk":                                {"champ suivant / précédent", "next / previous field"},
	"help.c":                                 {"prendre la tâche", "claim the task"},
	"help.esc":                               {"quitter le champ / fermer", "leave the field / close"},
	"help.help":                              {"cette aide", "this help"},
	"help.hint":                              {"? pour les raccourcis", "? for shortcuts"},
	"upload.title":                           {"Déposer des documents", "Upload documents"},
	"upload.drop":                            {"Déposez vos contrats et relevés d'heures ici, ou", "Drop contracts and timesheets here, or"},
	"upload.choose":                          {"choisissez des fichiers", "choose files"},
	"upload.list":                            {"Documents de l'agence", "The agency's documents"},
	"upload.file":                            {"Fichier", "File"},
	"upload.received":                        {"Reçu", "Received"},
	"upload.status":                          {"État", "Status"},
	"upload.what":                            {"Ce qui s'est passé", "What happened"},
	"upload.viaemail":                        {"reçu par e-mail dans %s", "arrived by email in %s"},
	"upload.none":                            {"Aucun document pour l'instant.", "No documents yet."},
	"upload.done":                            {"envoyé", "sent"},
	"upload.failed":                          {"échec", "failed"},
	"what.committed":                         {"Enregistré dans le système de référence.", "Committed to the system of record."},
	"what.review":                            {"En attente de revue : %s", "Waiting for review: %s"},
	"what.refused":                           {"Refusé : %s", "Refused: %s"},
	"what.failed":                            {"Échec du traitement : %s", "Processing failed: %s"},
	"what.rejected":                          {"Rejeté par un relecteur.", "Rejected by a reviewer."},
	"what.processing":                        {"En cours de traitement…", "Being processed…"},
	"what.email":                             {"E-mail : %d pièce(s) jointe(s) extraite(s).", "Email: %d attachment(s) taken out."},
	"status.received":                        {"reçu", "received"},
	"status.processing":                      {"en cours", "processing"},
	"status.in_review":                       {"en revue", "in review"},
	"status.committed":                       {"enregistré", "committed"},
	"status.rejected":                        {"rejeté", "rejected"},
	"status.refused":                         {"refusé", "refused"},
	"status.failed":                          {"échec", "failed"},
	"review.pending":                         {"en attente", "pending"},
	"review.claimed":                         {"prise", "claimed"},
	"review.approved":                        {"approuvée", "approved"},
	"review.rejected":                        {"rejetée", "rejected"},
	"type.contract":                          {"Contrat", "Contract"},
	"type.timesheet":                         {"Relevé d'heures", "Timesheet"},
	"type.other":                             {"Autre", "Other"},
	"type.email":                             {"E-mail", "Email"},
	"type.":                                  {"?", "?"},
	"age.now":                                {"à l'instant", "just now"},
	"age.min":                                {"%d min", "%d min"},
	"age.hours":                              {"%d h", "%d h"},
	"age.days":                               {"%d j", "%d d"},
	"error.title":                            {"Erreur", "Error"},
	"error.notfound":                         {"Introuvable.", "Not found."},
	"error.forbidden":                        {"Votre rôle ne permet pas cette action.", "Your role does not allow this."},
	"error.conflict":                         {"Conflit : %s", "Conflict: %s"},
	"error.invalid":                          {"Saisie invalide : %s", "Invalid input: %s"},
	"error.csrf":                             {"Jeton de sécurité manquant ou invalide : rechargez la page.", "Missing or invalid security token: reload the page."},
	"error.internal":                         {"Une erreur interne s'est produite ; elle a été journalisée.", "An internal error occurred; it has been logged."},
	"actor.key":                              {"clé d'API %s…", "API key %s…"},
	"error.back":                             {"Retour", "Back"},
	"reason.":                                {"—", "—"},
	"reason.temporary_increase":              {"Accroissement temporaire d'activité", "Temporary increase in activity"},
	"reason.replacement":                     {"Remplacement d'un salarié absent", "Replacement of an absent employee"},
	"reason.seasonal":                        {"Emploi saisonnier", "Seasonal work"},
	"reason.other":                           {"Autre", "Other"},
	"field.contract_number":                  {"N° de contrat", "Contract number"},
	"field.agency_name":                      {"Agence (ETT)", "Agency"},
	"field.agency_siret":                     {"SIRET de l'agence", "Agency SIRET"},
	"field.client_name":                      {"Entreprise utilisatrice", "Client company"},
	"field.client_siret":                     {"SIRET du client", "Client SIRET"},
	"field.worker_name":                      {"Salarié intérimaire", "Temporary worker"},
	"field.job_title":                        {"Qualification", "Job title"},
	"field.start_date":                       {"Début de mission", "Start date"},
	"field.end_date":                         {"Fin de mission", "End date"},
	"field.hourly_rate":                      {"Taux horaire brut (€)", "Gross hourly rate (EUR)"},
	"field.weekly_hours":                     {"Heures par semaine", "Weekly hours"},
	"field.work_location":                    {"Lieu de mission", "Work location"},
	"field.reason":                           {"Motif du recours", "Reason"},
	"field.period_start":                     {"Début de période", "Period start"},
	"field.period_end":                       {"Fin de période", "Period end"},
	"field.entries":                          {"Jours et heures", "Days and hours"},
	"field.total_hours":                      {"Total d'heures imprimé", "Total hours as printed"},
	"code.contract.missing_field":            {"Champ manquant", "Missing field"},
	"code.contract.dates_inverted":           {"Dates inversées", "Dates inverted"},
	"code.contract.duration_exceeds_max":     {"Durée trop longue", "Duration too long"},
	"code.contract.rate_below_minimum":       {"Taux sous le minimum", "Rate below minimum"},
	"code.contract.weekly_hours_exceeds_max": {"Trop d'heures par semaine", "Too many weekly hours"},
	"code.contract.invalid_siret":            {"SIRET invalide", "Invalid SIRET"},
	"code.timesheet.missing_field":           {"Champ manquant", "Missing field"},
	"code.timesheet.daily_hours_exceeded":    {"Journée trop longue", "Day too long"},
	"code.timesheet.weekly_hours_exceeded":   {"Semaine trop longue", "Week too long"},
	"code.timesheet.total_mismatch":          {"Total incohérent", "Total mismatch"},
	"code.timesheet.entry_outside_period":    {"Jour hors période", "Day outside the period"},
	"code.timesheet.unknown_contract":        {"Contrat inconnu", "Unknown contract"},
	"code.timesheet.outside_contract_period": {"Hors dates du contrat", "Outside the contract's dates"},
	"code.timesheet.worker_mismatch":         {"Salarié différent", "Worker mismatch"},
	"code.document.possible_prompt_injection": {"Injection d'instructions ?", "Possible prompt injection"},
	"code.document.low_confidence":            {"Confiance faible", "Low confidence"},
	"code.document.unclassified":              {"Type inconnu", "Unclassified"},
	"code.review.sampled":                     {"Contrôle qualité", "Quality sample"},
	"history.document.received":               {"Document reçu", "Document received"},
	"history.document.processed":              {"Document lu et vérifié", "Document read and checked"},
	"history.document.committed":              {"Enregistré", "Committed"},
	"history.document.revalidated":            {"Vérifié à nouveau", "Checked again"},
	"history.document.refused":                {"Refusé", "Refused"},
	"history.document.failed":                 {"Échec", "Failed"},
	"history.document.resubmitted":            {"Renvoyé après un échec", "Sent again after a failure"},
	"history.review.claimed":                  {"Tâche prise", "Task claimed"},
	"history.review.released":                 {"Tâche rendue", "Task released"},
	"history.review.approved":                 {"Approuvé", "Approved"},
	"history.review.rejected":                 {"Rejeté", "Rejected"},
	"history.review.first_approval":           {"Première approbation", "First approval"},
	"history.changed":                         {"%s : %s → %s", "%s: %s → %s"},
}

// ruleCodes are the codes the queue's filter offers, in the spec's order.
var ruleCodes = []string{
	"contract.missing_field", "contract.dates_inverted", "contract.duration_exceeds_max",
	"contract.rate_below_minimum", "contract.weekly_hours_exceeds_max", "contract.invalid_siret",
	"timesheet.missing_field", "timesheet.daily_hours_exceeded", "timesheet.weekly_hours_exceeded",
	"timesheet.total_mismatch", "timesheet.entry_outside_period", "timesheet.unknown_contract",
	"timesheet.outside_contract_period", "timesheet.worker_mismatch",
	"document.possible_prompt_injection", "document.low_confidence", "document.unclassified",
}
