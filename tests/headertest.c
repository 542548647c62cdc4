/* The public header must compile alone, as C11 with -pedantic, and as C++ would see it (extern "C"). */
#include "credence.h"

int main(void)
{
    cred_reader_options ro = CRED_READER_OPTIONS_INIT;
    cred_text_options to = CRED_TEXT_OPTIONS_INIT;
    return (ro.version == CRED_READER_OPTIONS_VERSION && to.version == CRED_TEXT_OPTIONS_VERSION) ? 0 : 1;
}
