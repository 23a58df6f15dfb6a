"""The citizen's application pages (start page, the form, progress)."""

app_name = "applications"
urlpatterns = []
