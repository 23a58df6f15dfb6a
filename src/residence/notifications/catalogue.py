"""Every notification the platform sends, by key: the texts live here, the parameters with
each message, and a message is rendered in the language of whoever reads it (an
organisation reads its activation notice in its own language, not the clerk's). An SMS is
written when it is sent, in the language of the reader's account (the one it last sent a form
in; a code, in the language of the page that asked for it), else in SMS_LANGUAGE; every SMS
starts with the signature registered with the gateway, which is Chinese whatever the language.
"""

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from residence.applications.reasons import shown as refusal_reason_shown
from residence.permits.rules import last_valid_day

# key: (title, body); both take the message's params with %(name)s (a text whose words follow a
# number is an ngettext_lazy keyed by that param: "1 day left", "7 days left").
MESSAGES = {
    # A text written by a person (and messages kept from before the catalogue): shown as written.
    "text": ("%(title)s", "%(body)s"),
    "account_created": (
        _("Welcome to the residence permit service platform"),
        _("Your account %(username)s has been created."),
    ),
    "organisation_created": (
        _("Welcome to the residence permit service platform"),
        _(
            "Your account %(username)s has been created. An organisation account is activated by a clerk at a "
            "registration point after checking the credit code, the authorisation letter and the proof of housing."
        ),
    ),
    "organisation_declined": (
        _("Organisation account declined"),
        _("The organisation account %(username)s was declined at a registration point: %(reason)s"),
    ),
    "organisation_activated": (
        _("Organisation account activated"),
        _("Your organisation account has been activated at %(point)s."),
    ),
    "password_reset": (
        _("Password reset"),
        _("Your password was reset with a code sent to your mobile. If this was not you, contact a counter at once."),
    ),
    "password_changed": (
        _("Password changed"),
        _("The password of your account was changed. If this was not you, reset it at once."),
    ),
    "phone_changed": (
        _("Mobile number changed"),
        _("Your bound mobile number is now %(phone)s."),
    ),
    "phone_changed_at_counter": (
        _("Mobile number changed at a counter"),
        _(
            "The account bound to this number was moved to %(new_phone)s at a counter. If you did not ask for it, "
            "bring your identity document (an organisation: its business licence) to an acceptance point at once."
        ),
    ),
    "real_name_verified": (
        _("Real-name verification passed"),
        _("Your account is now verified as %(name)s."),
    ),
    "application_accepted": (
        _("Application %(reference)s accepted"),
        _(
            "Your residence permit application %(reference)s has been accepted at %(point)s. The departments "
            "now check it; the whole application is due by %(due_date)s."
        ),
    ),
    # RULES §8: a date in a year whose holidays are not published is shown as provisional (an
    # outsider's message gave it as firm).
    "application_accepted_provisional": (
        _("Application %(reference)s accepted"),
        _(
            "Your residence permit application %(reference)s has been accepted at %(point)s. The departments "
            "now check it; the whole application is due by %(due_date)s (provisional: that year's holidays are "
            "not published yet)."
        ),
    ),
    "application_due_changed": (
        _("New due date for application %(reference)s"),
        _(
            "The working-day calendar has changed (a year's public holidays were published or corrected): "
            "application %(reference)s is now due by %(due_date)s."
        ),
    ),
    # A fee-bearing application has no due date until it is paid (RULES §5: the days run from payment).
    "application_accepted_fee": (
        _("Application %(reference)s accepted"),
        _(
            "Your residence permit application %(reference)s has been accepted at %(point)s. The departments "
            "now check it. After review you will be asked to pay the fee of %(amount)s yuan; the card is due "
            "10 working days after you have paid."
        ),
    ),
    "application_verification_problem": (
        _("Application %(reference)s: a department could not confirm your claim"),
        _("A department could not confirm part of application %(reference)s. The police reviewer will decide on it."),
    ),
    "application_payment_requested": (
        _("Application %(reference)s: please pay the fee"),
        _(
            "Application %(reference)s passed review. Please pay the fee of %(amount)s yuan by %(pay_by)s: online "
            "under My applications, or at the counter of %(point)s."
        ),
    ),
    "application_paid": (
        _("Application %(reference)s: fee received"),
        # With what was paid and the new due date (an outsider's said neither).
        _(
            "We received the fee of %(amount)s yuan for application %(reference)s. Your card will now be made; the "
            "application is due to be done by %(due_date)s."
        ),
    ),
    "application_approved": (
        _("Application %(reference)s approved"),
        _("Application %(reference)s was approved. Your card will now be made."),
    ),
    "application_rejected": (
        _("Application %(reference)s refused"),
        _(
            "Application %(reference)s was refused. Reasons: %(reasons)s. You may ask for a written reply "
            "within the account area."
        ),
    ),
    "application_withdrawn_at_counter": (
        _("Application %(reference)s withdrawn"),
        _("Application %(reference)s was withdrawn at %(point)s at your request. You may apply again."),
    ),
    "application_reply_requested": (
        _("Written reply to application %(reference)s asked for"),
        _(
            "Your request for a written reply to application %(reference)s is recorded: the police reply by "
            "%(reply_due)s."
        ),
    ),
    "application_written_reply": (
        _("Written reply to application %(reference)s"),
        _("The police reply to your request about application %(reference)s: %(reply)s"),
    ),
    "application_ready_for_pickup": (
        _("Your residence permit is ready for pickup"),
        _(
            "The card of application %(reference)s has arrived at %(point)s (%(address)s, open %(hours)s). "
            "Bring your ID card and the acceptance receipt."
        ),
    ),
    "application_moved": (
        _("Your application is handled at another acceptance point"),
        _(
            "Application %(reference)s is now handled at %(point)s (%(address)s), which is also where you "
            "collect your card if you pick it up. Why: %(reason)s"
        ),
    ),
    "application_ready_for_pickup_exchange": (
        _("Your residence permit is ready for pickup"),
        _(
            "The card of application %(reference)s has arrived at %(point)s (%(address)s, open %(hours)s). "
            "Bring your ID card, the acceptance receipt and your old card: it is collected when you get the new one."
        ),
    ),
    "application_out_for_delivery_exchange": (
        _("Your residence permit is out for delivery"),
        _(
            "The card of application %(reference)s is with the courier. Have your ID card and your old card "
            "ready: the courier collects the old card."
        ),
    ),
    "application_out_for_delivery": (
        _("Your residence permit is out for delivery"),
        _("The card of application %(reference)s is with the courier. Have your ID card ready at delivery."),
    ),
    "application_delivery_failed": (
        _("Your card could not be delivered"),
        _(
            "The courier could not deliver the card of application %(reference)s: %(reason)s. It goes to "
            "%(point)s (%(address)s), where you collect it: you will be told when it has arrived."
        ),
    ),
    "application_completed": (
        _("Your residence permit has been issued"),
        _("Application %(reference)s is complete: permit %(permit_number)s is active from today."),
    ),
    # An exchange or a replacement: a new card of the same permit, already active.
    "application_card_renewed": (
        _("Your new residence permit card has been handed over"),
        _(
            "Application %(reference)s is complete: you have the new card of permit %(permit_number)s. "
            "The permit and its endorsement dates are unchanged."
        ),
    ),
    "application_withdrawn": (
        _("Application %(reference)s withdrawn"),
        _("You withdrew application %(reference)s."),
    ),
    "application_terminated": (
        _("Application %(reference)s terminated"),
        _("Application %(reference)s was terminated because the fee was not paid by %(pay_by)s. You may apply again."),
    ),
    # A refund is promised only where a fee was paid (an outsider's unpaid exchange was promised one),
    # and no ground is given: the permit may have been revoked, not only left suspended.
    "application_ended_permit_cancelled": (
        _("Application %(reference)s ended"),
        _(
            "Application %(reference)s has ended: the permit whose card it was to renew has been cancelled. "
            "To hold a residence permit again, apply for a re-application."
        ),
    ),
    "application_ended_refunded": (
        _("Application %(reference)s ended"),
        _(
            "Application %(reference)s has ended: the permit whose card it was to renew has been cancelled. "
            "The fee paid for it is given back the way it was paid. To hold a residence permit again, apply for "
            "a re-application."
        ),
    ),
    "permit_endorsed": (
        _("Permit %(number)s endorsed"),
        _("Your residence permit %(number)s is endorsed: valid through %(valid_through)s."),
    ),
    "permit_restored": (
        _("Permit %(number)s restored"),
        _(
            "Your residence permit %(number)s is valid again from today, through %(valid_through)s; "
            "your continuous residence counts from today."
        ),
    ),
    "permit_restored_in_time": (
        _("Permit %(number)s endorsed and valid again"),
        _(
            "The endorsement of your residence permit %(number)s you asked for in time has been granted after "
            "the department's check: the permit is valid again, through %(valid_through)s. Your "
            "anniversary and continuous residence are unchanged."
        ),
    ),
    "permit_suspended": (
        _("Permit %(number)s suspended"),
        _(
            "Your residence permit %(number)s was not endorsed in time and is suspended. Endorse it by %(closes)s "
            "to restore it; after that it is cancelled."
        ),
    ),
    # Its exchange or replacement waits too: the card is not made nor handed over until then (an
    # outsider's holder was told only to endorse, its application reading "approved" for weeks).
    "permit_suspended_card_waits": (
        _("Permit %(number)s suspended"),
        _(
            "Your residence permit %(number)s was not endorsed in time and is suspended. Endorse it by %(closes)s "
            "to restore it; after that it is cancelled. Your application %(reference)s for a new card waits until "
            "the permit is endorsed, then goes on."
        ),
    ),
    "permit_suspended_check_overdue": (
        _("Permit %(number)s suspended"),
        _(
            "Your residence permit %(number)s is suspended: the department's check of the endorsement you asked for "
            "on %(asked)s is overdue and has been escalated. You need not ask again: if the department confirms, "
            "the permit is endorsed and restored, and you are told."
        ),
    ),
    "permit_cancelled": (
        _("Permit %(number)s cancelled"),
        _(
            "Your residence permit %(number)s has been cancelled: it stayed suspended for two years without an "
            "endorsement. You may apply again: a re-application, checked like a first application (20 yuan)."
        ),
    ),
    "permit_cancelled_hukou": (
        _("Permit %(number)s cancelled"),
        _(
            "Your residence permit %(number)s has been cancelled: the population records show you with Shenzhen "
            "hukou, and a Shenzhen hukou holder needs no residence permit."
        ),
    ),
    "permit_cancelled_fraud": (
        _("Permit %(number)s cancelled"),
        _(
            "Your residence permit %(number)s has been cancelled by the police: it was obtained by fraud. To ask "
            "about it, bring your ID card to an acceptance point."
        ),
    ),
    "permit_cancelled_other_law": (
        _("Permit %(number)s cancelled"),
        _(
            "Your residence permit %(number)s has been cancelled by the police, as another law requires. To ask "
            "about it, bring your ID card to an acceptance point."
        ),
    ),
    "permit_window_open": (
        _("Time to endorse permit %(number)s"),
        _("You can endorse your residence permit %(number)s from %(opens)s to %(closes)s."),
    ),
    "permit_window_closing": (
        _("Endorse permit %(number)s by %(closes)s"),
        ngettext_lazy(
            "%(days)d day is left to endorse your residence permit %(number)s (until %(closes)s).",
            "%(days)d days are left to endorse your residence permit %(number)s (until %(closes)s).",
            "days",
        ),
    ),
    "permit_window_last_day": (
        _("Endorse permit %(number)s today"),
        _("Today, %(closes)s, is the last day to endorse your residence permit %(number)s."),
    ),
    "endorsement_refused": (
        _("Endorsement of permit %(number)s refused"),
        _("The endorsement of your residence permit %(number)s was refused: %(reasons)s"),
    ),
    "endorsement_pending": (
        _("Endorsement of permit %(number)s being checked"),
        _("A department checks a record for the endorsement of permit %(number)s; the answer is due by %(due)s."),
    ),
    "registration_moved": (
        _("Your residence registration has changed"),
        _(
            "A move-in to %(address)s from %(date)s was declared for you, so your residence registration at "
            "%(previous)s ended on %(ended_on)s. If you did not move, go to a registration point with your ID card."
        ),
    ),
    "registration_started": (
        _("Your residence registration has begun"),
        _(
            "A move-in to %(address)s from %(date)s was declared for you: your residence registration there "
            "counts from that day. If you did not move there, go to a registration point with your ID card."
        ),
    ),
    "registration_ended": (
        _("Your residence registration has ended"),
        _(
            "A declaration was recorded for you: your residence registration at %(previous)s ended on %(ended_on)s. "
            "If you still live there, go to a registration point with your ID card."
        ),
    ),
    "registration_left": (
        _("A resident of %(previous)s moved elsewhere"),
        _(
            "%(name)s (%(id_number)s) was declared as moving in elsewhere from %(date)s and is no longer registered "
            "at %(previous)s. If this is wrong, tell a registration point."
        ),
    ),
    "registration_report_waiting": (
        _("A tenant's self-report waits for you"),
        _(
            "%(name)s reported moving in to %(house)s (report %(reference)s). Confirm it in residence "
            "registration if they live there, or decline it."
        ),
    ),
    "registration_report_confirmed": (
        _("Your move-in report %(reference)s was confirmed"),
        _("Your residence registration at %(house)s is recorded from %(date)s (report %(reference)s)."),
    ),
    "registration_report_superseded": (
        _("Your move-in report %(reference)s no longer applies"),
        _(
            "A move-in of yours dated on or after that of your report %(reference)s was recorded before the "
            "holder of %(house)s answered it: the report is closed. If you live at %(house)s and are not "
            "registered there, report your move-in again."
        ),
    ),
    "registration_report_declined": (
        _("Your move-in report %(reference)s was declined"),
        _(
            "The holder of %(house)s says you do not live there: your move-in report %(reference)s is not "
            "recorded. If you do live there, ask the holder, or declare at a registration point with your ID card."
        ),
    ),
    # A walk-in declarant at the counter may be anyone: the house's holder hears of every move-in
    # declared into the house there (an outsider's walk-in moved a stranger into a landlord's room).
    # The holder was told to wait for it (an outsider's landlord heard nothing when it came).
    "house_confirmed": (
        _("Your house at %(house)s is confirmed"),
        _(
            "A registration point has confirmed your house at %(house)s: you can now declare who moves in and "
            "out of it."
        ),
    ),
    "registration_counter_move_in": (
        _("A move-in to %(house)s was declared at a registration point"),
        _(
            "%(name)s (%(id_number)s) was declared at a registration point as living in %(house)s from %(date)s, "
            "declared by %(declarant)s. If this is wrong, tell a registration point."
        ),
    ),
    "registration_moved_out": (
        _("A resident of %(previous)s moved out"),
        _(
            "%(name)s (%(id_number)s) was declared at a registration point as moving out of %(previous)s on %(date)s. "
            "If this is wrong, tell a registration point."
        ),
    ),
    # Messages stored before the day was named are still read under this key.
    "deadline_due_tomorrow": (
        _("Due tomorrow: %(count)d item(s)"),
        _("%(count)d item(s) in your queue are due tomorrow: %(references)s."),
    ),
    # The next working day, named: "tomorrow" on the eve of a week's holiday was a week early (an outsider).
    "deadline_due_next": (
        _("Due %(day)s: %(count)d item(s)"),
        _("%(count)d item(s) in your queue are due on %(day)s, the next working day: %(references)s."),
    ),
    "deadline_overdue": (
        _("Overdue: %(count)d step(s)"),
        _("%(count)d step(s) passed their due date without being done: %(references)s."),
    ),
}

SMS_SIGNATURE = "【居住证服务平台】"
SMS = {
    "organisation_declined": _(
        "The organisation account %(username)s was declined at a registration point: %(reason)s"
    ),
    "login": _("Your sign-in code is %(code)s, valid for %(minutes)d minutes. Never share it."),
    "password_reset": _("Your password reset code is %(code)s, valid for %(minutes)d minutes."),
    "username_reminder": _("The username of the platform account bound to this number is %(username)s."),
    "phone_changed": _(
        "Your platform account was moved to the number %(phone)s. Not you? Bring your identity document to an "
        "acceptance point at once."
    ),
    "phone_changed_at_counter": _(
        "Your platform account was moved to the number %(new_phone)s at a counter. Not you? Bring your identity "
        "document to an acceptance point at once."
    ),
    "phone_change": _("Your code to bind this mobile is %(code)s, valid for %(minutes)d minutes."),
    "counter_phone": _(
        "The code to bind this mobile at the counter is %(code)s, valid for %(minutes)d minutes. Tell it only "
        "to the clerk in front of you."
    ),
    "application_accepted": _("Your residence permit application %(reference)s has been accepted."),
    "application_accepted_fee": _("Your residence permit application %(reference)s has been accepted."),
    "application_accepted_provisional": _("Your residence permit application %(reference)s has been accepted."),
    "application_due_changed": _(
        "The public holidays changed the due date of application %(reference)s: it is now %(due_date)s."
    ),
    "application_verification_problem": _("A department could not confirm part of application %(reference)s."),
    "application_payment_requested": _(
        "Application %(reference)s: please pay %(amount)s yuan by %(pay_by)s, online under My applications or at "
        "the counter of %(point)s."
    ),
    "application_approved": _("Application %(reference)s was approved; your card will now be made."),
    # The reasons are the reviewer's words, up to 500 characters with addresses in them (an outsider's
    # SMS was 500 long): an account's holder reads them in the messages, one without by SMS.
    "application_rejected": _(
        "Application %(reference)s was refused. The reasons are in your account's messages, where you may ask "
        "for a written reply."
    ),
    # Told by SMS as the payment request was: a citizen who missed that one learnt of the end nowhere else.
    "application_terminated": _(
        "Application %(reference)s was terminated: the fee was not paid by %(pay_by)s. You may apply again."
    ),
    "application_ended_permit_cancelled": _(
        "Application %(reference)s has ended: the permit it was to renew a card of has been cancelled. To hold a "
        "permit again, apply for a re-application."
    ),
    "application_ended_refunded": _(
        "Application %(reference)s has ended: the permit it was to renew a card of has been cancelled. The fee "
        "paid for it is given back. To hold a permit again, apply for a re-application."
    ),
    "application_written_reply": _("The written reply to application %(reference)s is in your account's messages."),
    "application_withdrawn_at_counter": _(
        "Application %(reference)s was withdrawn at %(point)s at your request. You may apply again."
    ),
    "application_reply_requested": _(
        "Your request for a written reply to application %(reference)s is recorded: the police reply by %(reply_due)s."
    ),
    # What to bring too: a counter applicant without an account hears of it by SMS alone (an outsider).
    "application_ready_for_pickup": _(
        "The card of application %(reference)s is ready at %(point)s, %(address)s, open %(hours)s. "
        "Bring your ID card and the acceptance receipt."
    ),
    "application_moved": _("Application %(reference)s is now handled at %(point)s, %(address)s. Why: %(reason)s"),
    "application_out_for_delivery": _("The card of application %(reference)s is out for delivery."),
    "application_ready_for_pickup_exchange": _(
        "The card of application %(reference)s is ready at %(point)s, %(address)s, open %(hours)s. "
        "Bring your ID card, the acceptance receipt and your old card."
    ),
    "application_out_for_delivery_exchange": _(
        "The card of application %(reference)s is out for delivery. Have your ID card and your old card ready for "
        "the courier."
    ),
    "application_delivery_failed": _(
        "The courier could not deliver the card of application %(reference)s: %(reason)s. "
        "Collect it at %(point)s when told."
    ),
    "application_completed": _("Your residence permit %(permit_number)s is active from today."),
    "application_card_renewed": _("You have the new card of residence permit %(permit_number)s."),
    "permit_endorsed": _("Your residence permit %(number)s is endorsed: valid through %(valid_through)s."),
    # By SMS too: a department's answer comes days after the request (an outsider's holder learnt
    # of the refusal only by opening the account, the anniversary drawing near).
    "endorsement_refused": _(
        "The endorsement of your residence permit %(number)s was refused. The reasons are in your account's messages."
    ),
    "permit_restored": _("Your residence permit %(number)s is restored: valid through %(valid_through)s."),
    "permit_restored_in_time": _(
        "Your residence permit %(number)s is endorsed and valid again, through %(valid_through)s."
    ),
    "permit_suspended": _("Your residence permit %(number)s is suspended: endorse it by %(closes)s."),
    "permit_suspended_card_waits": _(
        "Your residence permit %(number)s is suspended: endorse it by %(closes)s. Application %(reference)s for a new "
        "card goes on once it is endorsed."
    ),
    "permit_suspended_check_overdue": _(
        "Your residence permit %(number)s is suspended while the overdue check of your endorsement is escalated. "
        "You need not ask again."
    ),
    # Why, and what next (an outsider's holder was told only "cancelled").
    "permit_cancelled": _(
        "Your residence permit %(number)s has been cancelled: it stayed suspended for two years without an "
        "endorsement. You may apply again (a re-application)."
    ),
    "permit_cancelled_hukou": _(
        "Your residence permit %(number)s has been cancelled: you hold Shenzhen hukou, and need no residence permit."
    ),
    # What next, as the message says: by SMS alone for a holder without an account (an outsider).
    "permit_cancelled_fraud": _(
        "Your residence permit %(number)s has been cancelled by the police: it was obtained by fraud. To ask "
        "about it, bring your ID card to an acceptance point."
    ),
    "permit_cancelled_other_law": _(
        "Your residence permit %(number)s has been cancelled by the police, as another law requires. To ask "
        "about it, bring your ID card to an acceptance point."
    ),
    "permit_window_open": _("Endorse your residence permit %(number)s between %(opens)s and %(closes)s."),
    "permit_window_closing": ngettext_lazy(
        "%(days)d day left to endorse your residence permit %(number)s (until %(closes)s).",
        "%(days)d days left to endorse your residence permit %(number)s (until %(closes)s).",
        "days",
    ),
    "permit_window_last_day": _("Today, %(closes)s, is the last day to endorse your residence permit %(number)s."),
    # No address in an SMS (an outsider's held two homes'): the account's messages name them, and a
    # number a declarant typed may be anyone's.
    "registration_moved": _(
        "A move-in elsewhere from %(date)s was declared for you, which ended your earlier residence registration "
        "on %(ended_on)s. If you did not move, contact a registration point."
    ),
    "registration_started": _(
        "A move-in from %(date)s was declared for you, which begins your residence registration. If you did not "
        "move, contact a registration point."
    ),
    "registration_ended": _(
        "A declaration was recorded for you: your residence registration ended on %(ended_on)s. If you still live "
        "there, contact a registration point."
    ),
}

# The SMS of a person with no account, who has no messages to read: these say what the account's
# messages would.
SMS_WITHOUT_ACCOUNT = {
    "application_rejected": _(
        "Application %(reference)s was refused. Reasons: %(reasons)s. You may ask for a written reply at %(point)s."
    ),
    # Without an account there is no "My applications" to pay in, and the written reply is asked
    # for at the counter (an outsider's counter applicant was sent to both).
    "application_payment_requested": _(
        "Application %(reference)s: please pay %(amount)s yuan by %(pay_by)s at the counter of %(point)s (or online, "
        "once you have an account verified with your real name)."
    ),
    # A counter applicant asked for it at the counter (an outsider's had no account to read it in).
    "application_written_reply": _("The police reply to your request about application %(reference)s: %(reply)s"),
    "endorsement_refused": _("The endorsement of your residence permit %(number)s was refused: %(reasons)s"),
    # The number a declarant typed may be a parent's or a landlord's, told of several people.
    "registration_ended": _(
        "A declaration was recorded: the residence registration of %(name)s ended on %(ended_on)s. If they still "
        "live there, contact a registration point."
    ),
}


STANDARD_HOURS = _("Monday to Friday, 9:00–12:00 and 14:00–18:00")


def opening_hours() -> str:
    """The acceptance points' hours in the active language (ACCEPTANCE_POINT_HOURS, if set, as set)."""
    return settings.ACCEPTANCE_POINT_HOURS or str(STANDARD_HOURS)


CLOSING_PUNCTUATION = "。.;；!！?？,，、:："


def reasons_text(reasons) -> str:
    """Reasons as one line for a message: each once, without its own closing stop, since the
    sentence around them ends with one (an outsider read "要求。；…重新申请。。")."""
    shown = []
    for reason in reasons:
        reason = str(reason).strip().rstrip(CLOSING_PUNCTUATION)
        if reason and reason not in shown:
            shown.append(reason)
    # Chinese text takes the full-width semicolon, other text its own (an outsider read "…；Social").
    return ("；" if (translation.get_language() or "").startswith("zh") else "; ").join(shown)


def with_hours(params: dict) -> dict:
    """The params as a text shows them. A refusal's reasons, and the opening hours of now, in the
    reader's language: a message keeps only the fact that it names them (an outsider's English
    page showed them in Chinese). A permit's last valid day, the day before the `endorsed_until` stored: the permit
    page says "valid through" that day, and the messages said "until" the anniversary, one day
    more (an outsider); worked out here, so that messages stored before read the same."""
    shown = {**params, "hours": opening_hours()} if "hours" in params else dict(params)
    if "reason_list" in params:  # a refusal's: its common reasons in the reader's language
        shown["reasons"] = reasons_text(refusal_reason_shown(r) for r in params["reason_list"])
    if params.get("endorsed_until"):
        shown["valid_through"] = last_valid_day(dt.date.fromisoformat(params["endorsed_until"])).isoformat()
    if "references" in params:
        shown["references"] = references_text(params["references"])
    if params.get("point_en") and (translation.get_language() or "").startswith("en"):
        shown["point"] = params["point_en"]  # the point's kind and street named in English too
    return shown


def references_text(references: str) -> str:
    """A list as `listed` stored it (Chinese enumeration commas, "、…" when cut), in the reader's
    language: an English reader's list reads "A, B", and a cut one ends "etc." or "等", not in
    "…" before the sentence's own stop (an English reminder ended "….")."""
    cut = references.endswith("、…")
    if cut:
        references = references.removesuffix("、…")
    if (translation.get_language() or "").startswith("zh"):
        return references + ("等" if cut else "")
    return references.replace("、", ", ") + (", etc" if cut else "")


def render_message(key: str, params: dict) -> tuple[str, str]:
    """(title, body) in the active language."""
    title, body = MESSAGES[key]
    params = with_hours(params)
    return title % params, body % params
