from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation

from residence.accounts import api as accounts_api
from residence.accounts.views import admin_login, admin_password_change
from residence.applications import api as applications_api
from residence.core import api as core_api
from residence.core import views as core_views
from residence.eligibility.api import EligibilityCheckView
from residence.permits import api as permits_api
from residence.places.api import AcceptancePointListView
from residence.records.api import ExchangeView
from residence.registrations import api as registrations_api

api_v1 = [
    # Django tries the patterns in order, building its list of tried ones as it goes: the
    # call every signed-in client makes comes first (docs/performance.md).
    path("me", accounts_api.MeView.as_view(), name="me"),
    # Then reading an application, the next most frequent call (docs/performance.md).
    path("applications/<int:pk>", applications_api.ApplicationDetailView.as_view(), name="application"),
    path("applications", applications_api.ApplicationListView.as_view(), name="applications"),
    # The schema is served as YAML or JSON (?format=json): it needs DRF's full negotiation.
    path("schema/", SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="web/swagger_ui.html"),
        name="docs",
    ),
    path("accounts", accounts_api.AccountCreateView.as_view(), name="accounts"),
    path("auth/login", accounts_api.LoginView.as_view(), name="login"),
    path("auth/sms-verify", accounts_api.SmsVerifyView.as_view(), name="sms-verify"),
    path("auth/sms-resend", accounts_api.SmsResendView.as_view(), name="sms-resend"),
    path("auth/logout", accounts_api.LogoutView.as_view(), name="logout"),
    path("auth/password-reset", accounts_api.PasswordResetView.as_view(), name="password-reset"),
    path("auth/password-reset/confirm", accounts_api.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("auth/username-reminder", accounts_api.UsernameReminderView.as_view(), name="username-reminder"),
    path("me/real-name", accounts_api.RealNameView.as_view(), name="real-name"),
    path("me/password", accounts_api.PasswordChangeView.as_view(), name="password"),
    path("me/phone", accounts_api.PhoneChangeView.as_view(), name="phone"),
    path("me/messages", accounts_api.MessageListView.as_view(), name="messages"),
    path("me/messages/<int:pk>/read", accounts_api.MessageReadView.as_view(), name="message-read"),
    path(
        "staff/organisations/<int:pk>/activate",
        accounts_api.OrganisationActivateView.as_view(),
        name="organisation-activate",
    ),
    path(
        "staff/organisations/<int:pk>/decline",
        accounts_api.OrganisationDeclineView.as_view(),
        name="organisation-decline",
    ),
    path(
        "applications/<int:pk>/receipt", applications_api.ApplicationReceiptView.as_view(), name="application-receipt"
    ),
    path(
        "applications/<int:pk>/withdraw",
        applications_api.ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path(
        "applications/<int:pk>/written-reply",
        applications_api.WrittenReplyView.as_view(),
        name="application-written-reply",
    ),
    path("applications/<int:pk>/payment", applications_api.PaymentView.as_view(), name="application-payment"),
    path(
        "applications/<int:pk>/payment-receipt",
        applications_api.PaymentReceiptView.as_view(),
        name="application-payment-receipt",
    ),
    path("receipts/<str:reference>/verify", applications_api.ReceiptVerifyView.as_view(), name="receipt-verify"),
    path("staff/applications", applications_api.StaffIntakeView.as_view(), name="staff-applications"),
    path("staff/applications/<int:pk>", applications_api.StaffApplicationView.as_view(), name="staff-application"),
    path(
        "staff/applications/<int:pk>/form",
        applications_api.StaffApplicationFormView.as_view(),
        name="staff-application-form",
    ),
    path(
        "staff/applications/<int:pk>/receipt",
        applications_api.StaffApplicationReceiptView.as_view(),
        name="staff-application-receipt",
    ),
    *[
        path(f"staff/applications/<int:pk>/{slug}", view.as_view(), name=f"staff-application-{slug}")
        for slug, view in [
            ("verify", applications_api.StaffVerifyView),
            ("approve", applications_api.StaffApproveView),
            ("reject", applications_api.StaffRejectView),
            ("produce", applications_api.StaffProduceView),
            ("dispatch", applications_api.StaffDispatchView),
            ("receive", applications_api.StaffReceiveView),
            ("hand-over", applications_api.StaffHandOverView),
            ("deliver", applications_api.StaffDeliverView),
            ("return", applications_api.StaffReturnView),
            ("written-reply", applications_api.StaffWrittenReplyView),
            ("withdraw", applications_api.StaffWithdrawView),
            ("written-reply-request", applications_api.StaffReplyRequestView),
            ("payment", applications_api.StaffPaymentView),
            ("payment-receipt", applications_api.StaffPaymentReceiptView),
            ("move", applications_api.StaffMoveView),
        ]
    ],
    path("staff/queue", applications_api.StaffQueueView.as_view(), name="staff-queue"),
    path("permits", permits_api.PermitListView.as_view(), name="permits"),
    path("permits/check", permits_api.PermitCheckView.as_view(), name="permit-check"),
    path("permits/<str:number>/endorsements", permits_api.EndorsementView.as_view(), name="permit-endorsements"),
    path(
        "staff/permits/<str:number>/endorsements",
        permits_api.StaffEndorsementView.as_view(),
        name="staff-permit-endorsements",
    ),
    path("staff/permits/<str:number>/revoke", permits_api.StaffRevokeView.as_view(), name="staff-permit-revoke"),
    path(
        "staff/endorsements/<int:pk>/answer",
        permits_api.StaffEndorsementAnswerView.as_view(),
        name="staff-endorsement-answer",
    ),
    path("registrations/houses", registrations_api.HouseListView.as_view(), name="houses"),
    path("registrations/declarations", registrations_api.DeclarationListView.as_view(), name="declarations"),
    path("registrations/declarations/bulk", registrations_api.BulkView.as_view(), name="declarations-bulk"),
    path(
        "registrations/declarations/bulk/<int:upload>/confirm",
        registrations_api.BulkConfirmView.as_view(),
        name="declarations-bulk-confirm",
    ),
    path(
        "registrations/declarations/<int:pk>/confirm",
        registrations_api.DeclarationConfirmView.as_view(),
        name="declaration-confirm",
    ),
    path(
        "registrations/declarations/<int:pk>/decline",
        registrations_api.DeclarationDeclineView.as_view(),
        name="declaration-decline",
    ),
    path(
        "registrations/declarations/<int:pk>/withdraw",
        registrations_api.DeclarationWithdrawView.as_view(),
        name="declaration-withdraw",
    ),
    path("organisations/sub-accounts", registrations_api.SubAccountView.as_view(), name="sub-accounts"),
    path(
        "organisations/sub-accounts/<int:pk>/deactivate",
        registrations_api.SubAccountDeactivateView.as_view(),
        name="sub-account-deactivate",
    ),
    path(
        "organisations/sub-accounts/<int:pk>/houses",
        registrations_api.SubAccountHousesView.as_view(),
        name="sub-account-houses",
    ),
    path("me/registrations", registrations_api.MyRegistrationsView.as_view(), name="my-registrations"),
    path(
        "staff/registrations/declarations",
        registrations_api.StaffDeclarationView.as_view(),
        name="staff-declarations",
    ),
    path(
        "staff/registrations/houses/<int:pk>/confirm",
        registrations_api.StaffHouseConfirmView.as_view(),
        name="staff-house-confirm",
    ),
    path("acceptance-points", AcceptancePointListView.as_view(), name="acceptance-points"),
    path("working-days", core_api.WorkingDaysView.as_view(), name="working-days"),
    path("eligibility-checks", EligibilityCheckView.as_view(), name="eligibility-checks"),
    path("exchange/<str:kind>", ExchangeView.as_view(), name="exchange"),
    # Anything else under /api/v1/ is the API's 404 body, also with DEBUG on (no HTML page).
    re_path(r"^", core_views.page_not_found),
]

# System administrators sign in through the platform's login (lockout, SMS code at every staff
# login); the admin's own form, which checks passwords without either, is never served.
admin.site.login = admin_login
admin.site.password_change = admin_password_change
admin.site.site_header = admin.site.site_title = settings.PLATFORM_NAME
admin.site.index_title = _("Administration")
# Roles are the platform's own (accounts.Role); Django's groups and permissions are not used.
admin.site.unregister(Group)

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", include((api_v1, "api"))),
    path("admin/r/<path:content_type_id>/<path:object_id>/", core_views.admin_shortcut),
    path("admin/", admin.site.urls),
    path("", include("residence.accounts.urls")),
    path("applications/", include("residence.applications.urls")),
    path("staff/applications/", include("residence.applications.staff_urls")),
    path("permits/", include("residence.permits.urls")),
    path("staff/permits/", include("residence.permits.staff_urls")),
    path("registration/", include("residence.registrations.urls")),
    path("staff/registrations/", include("residence.registrations.staff_urls")),
    path("staff/audit/", include("residence.audit.urls")),
    path("", include("residence.web.urls")),
]

handler400 = "residence.core.views.bad_request"
handler403 = "residence.core.views.permission_denied"
handler404 = "residence.core.views.page_not_found"
handler500 = "residence.core.views.server_error"
